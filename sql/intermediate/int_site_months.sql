-- depends_on: int_attributed_site_weeks, int_week_months
-- Home-LA delayed days per site and month under the configured month rule. A week's figures
-- are split by the days it has in each month (all seven under month_rule = week_ending); each
-- share is fixed at ten decimals before summing so that every total is exact and repeatable.
with week_shares as (
    select
        week_months.month,
        site_weeks.site_code,
        week_months.days_of_week,
        site_weeks.nhs_days,
        site_weeks.social_care_days,
        site_weeks.both_days,
        site_weeks.att_nhs_days,
        site_weeks.att_social_care_days,
        site_weeks.total_days
    from int_attributed_site_weeks as site_weeks
    join int_week_months as week_months using (week_ending)
)

select
    month,
    site_code,
    sum(cast(nhs_days * days_of_week / 7 as decimal(38, 10))) as nhs_days,
    sum(cast(social_care_days * days_of_week / 7 as decimal(38, 10))) as social_care_days,
    sum(cast(both_days * days_of_week / 7 as decimal(38, 10))) as both_days,
    sum(cast(att_nhs_days * days_of_week / 7 as decimal(38, 10))) as att_nhs_days,
    sum(cast(att_social_care_days * days_of_week / 7 as decimal(38, 10))) as att_social_care_days,
    sum(cast(total_days * days_of_week / 7 as decimal(38, 10))) as total_days
from week_shares
group by month, site_code
