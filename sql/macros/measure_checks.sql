-- Check columns shared by the output checks of every table that carries the standard measures
-- (sql/checks/): which measures are blank, the smallest one (none may be negative), and how far
-- the attributed parts and the organisations are from the total (both must be zero).
create or replace macro blank_measures(nhs_days, social_care_days, both_days, att_nhs_days, att_social_care_days,
                                       total_days) as
    nullif(concat_ws(', ',
        case when nhs_days is null then 'nhs_days' end,
        case when social_care_days is null then 'social_care_days' end,
        case when both_days is null then 'both_days' end,
        case when att_nhs_days is null then 'att_nhs_days' end,
        case when att_social_care_days is null then 'att_social_care_days' end,
        case when total_days is null then 'total_days' end), '');

create or replace macro attribution_gap(att_nhs_days, att_social_care_days, total_days) as
    cast(att_nhs_days + att_social_care_days - total_days as double);

create or replace macro organisation_gap(nhs_days, social_care_days, both_days, total_days) as
    cast(nhs_days + social_care_days + both_days - total_days as double);
