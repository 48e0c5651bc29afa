-- depends_on: int_site_weeks
-- Attribution of jointly attributable ("Both") days, the ADASS convention of the Kent reports:
-- social care takes `both_share_to_social_care` of each joint day and the NHS the rest, so the
-- two attributed figures always add up to the total. Attributing at the site-week grain keeps
-- every later sum (months, trusts, the council) consistent with the weekly dashboard; the share
-- is a DECIMAL, so attributed days are exact.
select
    site_code,
    week_ending,
    nhs_days,
    social_care_days,
    both_days,
    nhs_days + (1 - getvariable('both_share_to_social_care')) * both_days as att_nhs_days,
    social_care_days + getvariable('both_share_to_social_care') * both_days as att_social_care_days,
    nhs_days + social_care_days + both_days as total_days
from int_site_weeks
