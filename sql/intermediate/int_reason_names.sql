-- depends_on: none
-- The national reasons for delay in words (SitRep DTOC definitions), and NOT_STATED for the
-- summary layout, which carries no reason.
select * from (values
    ('A', 'Awaiting completion of assessment'),
    ('B', 'Awaiting public funding'),
    ('C', 'Awaiting further non-acute NHS care'),
    ('DI', 'Awaiting residential home placement'),
    ('DII', 'Awaiting nursing home placement'),
    ('E', 'Awaiting care package in own home'),
    ('F', 'Awaiting community equipment and adaptations'),
    ('G', 'Patient or family choice'),
    ('H', 'Disputes'),
    ('I', 'Housing'),
    ('O', 'Other'),
    ('NOT_STATED', 'Not stated')
) as names (reason_code, reason)
