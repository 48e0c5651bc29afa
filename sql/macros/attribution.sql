-- Attribution of jointly attributable ("Both") days, the ADASS convention used in the Kent
-- reports: social care takes `both_share_to_social_care` of each joint day and the NHS the rest,
-- so attributed NHS + attributed social care always equals the total.
create or replace macro att_social_care_days(social_care_days, both_days) as
    social_care_days + getvariable('both_share_to_social_care') * both_days;

create or replace macro att_nhs_days(nhs_days, both_days) as
    nhs_days + (1 - getvariable('both_share_to_social_care')) * both_days;

-- A share of a total in percent; no delays at all gives no percentage rather than 0 %.
create or replace macro pct_of_total(part, total) as
    case when total = 0 then null else 100.0 * part / total end;
