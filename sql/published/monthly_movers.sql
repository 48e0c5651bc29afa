-- depends_on: monthly_completeness, monthly_provider_summary, monthly_site_summary
-- Month-on-month change by site and by trust: total delayed days, days attributable to social
-- care and the % attributable, each with the previous calendar month's figure and the change.
-- comparable: both months' collections are complete for the site (for a trust, for all its
-- sites); only comparable rows are ranked. rank_improvement 1 = the largest fall in total days,
-- rank_deterioration 1 = the largest rise, within the month and level.
with site_rows as (
    select
        summary.month, 'site' as level, summary.provider_code, summary.site_code, summary.site_name as name,
        summary.total_days, summary.att_social_care_days, summary.pct_att_social_care,
        completeness.complete
    from monthly_site_summary as summary
    left join monthly_completeness as completeness using (month, site_code)
),

trust_complete as (
    select month, provider_code, bool_and(complete) as complete
    from monthly_completeness
    group by month, provider_code
),

trust_rows as (
    select
        summary.month, 'trust' as level, summary.provider_code, 'Total' as site_code, summary.provider_name as name,
        summary.total_days, summary.att_social_care_days, summary.pct_att_social_care,
        trust_complete.complete
    from monthly_provider_summary as summary
    left join trust_complete using (month, provider_code)
),

both_levels as (
    select *, strftime(strptime(month || '-01', '%Y-%m-%d') - interval 1 month, '%Y-%m') as previous_month
    from (
        select * from site_rows
        union all
        select * from trust_rows
    ) as site_and_trust_rows
),

paired as (
    select
        this.month,
        this.previous_month,
        this.level,
        this.provider_code,
        this.site_code,
        this.name,
        previous.total_days as previous_total_days,
        this.total_days,
        this.total_days - previous.total_days as change_total_days,
        case when previous.total_days > 0
             then 100.0 * (this.total_days - previous.total_days) / previous.total_days end as pct_change_total_days,
        previous.att_social_care_days as previous_att_social_care_days,
        this.att_social_care_days,
        this.att_social_care_days - previous.att_social_care_days as change_att_social_care_days,
        previous.pct_att_social_care as previous_pct_att_social_care,
        this.pct_att_social_care,
        this.pct_att_social_care - previous.pct_att_social_care as change_pct_att_social_care,
        coalesce(this.complete and previous.complete, false) as comparable
    from both_levels as this
    left join both_levels as previous
        on previous.month = this.previous_month and previous.level = this.level
        and previous.provider_code = this.provider_code and previous.site_code = this.site_code
)

select
    paired.*,
    case when comparable and change_total_days < 0 then
        row_number() over (partition by month, level, comparable and change_total_days < 0
                           order by change_total_days, provider_code, site_code) end as rank_improvement,
    case when comparable and change_total_days > 0 then
        row_number() over (partition by month, level, comparable and change_total_days > 0
                           order by change_total_days desc, provider_code, site_code) end as rank_deterioration
from paired
