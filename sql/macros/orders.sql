-- Where a published table's rows are not in alphabetical order, the order people read them in
-- (flows/warehouse.py PUBLISH_ORDER puts them together per table; the report and the dashboard
-- use the same): organisations NHS, Social Care, Both, then the Total; the gap from local to
-- national in the order it adds up; rates by source and by measure.
create or replace macro org_rank(responsible_org) as
    list_position(['NHS', 'Social Care', 'Both', 'Total'], responsible_org);

create or replace macro gap_component_rank(component) as
    list_position(['local', 'national_only', 'residual', 'national'], component);

create or replace macro rate_source_rank(source) as
    list_position(['local', 'national', 'bcf_target'], source);

create or replace macro rate_measure_rank(measure) as
    list_position(['all', 'nhs', 'social_care', 'both'], measure);
