-- depends_on: int_attributed_site_weeks, ref_sites
-- The council's weekly dashboard: one row per site and week, home-LA residents only.
-- direction compares total days with the same site's previous week (blank when that week
-- was not reported); avg_12wk_total_days averages the reported weeks in the 12 weeks to date.
with with_history as (
    select
        site_weeks.*,
        lag(total_days) over site_history as previous_total_days,
        lag(week_ending) over site_history as previous_week_ending,
        avg(total_days) over (
            partition by site_code order by week_ending
            range between interval 77 days preceding and current row
        ) as avg_12wk_total_days
    from int_attributed_site_weeks as site_weeks
    window site_history as (partition by site_code order by week_ending)
)

select
    with_history.week_ending,
    sites.provider_code,
    with_history.site_code,
    sites.site_name,
    sites.care_type,
    with_history.nhs_days,
    with_history.social_care_days,
    with_history.both_days,
    with_history.att_nhs_days,
    with_history.att_social_care_days,
    with_history.total_days,
    pct_of_total(with_history.att_social_care_days, with_history.total_days) as pct_att_social_care,
    case
        when (with_history.previous_week_ending is distinct from with_history.week_ending - 7) then null
        when with_history.total_days > with_history.previous_total_days then 'increased'
        when with_history.total_days < with_history.previous_total_days then 'decreased'
        else 'same'
    end as direction,
    with_history.avg_12wk_total_days
from with_history
join ref_sites as sites using (site_code)
