-- Check columns read by the suite published_monthly_movers: each change is this month's figure
-- minus the previous month's (blank exactly when either is blank); previous_month is the calendar
-- month before; site rows name a site and trust rows the Total; only comparable rows are ranked,
-- falls by rank_improvement and rises by rank_deterioration.
select
    *,
    strftime(strptime(month || '-01', '%Y-%m-%d') - interval 1 month, '%Y-%m') as month_before,
    cast(change_total_days - (total_days - previous_total_days) as double) as change_total_gap,
    cast(change_att_social_care_days - (att_social_care_days - previous_att_social_care_days) as double)
        as change_social_care_gap,
    cast(change_pct_att_social_care - (pct_att_social_care - previous_pct_att_social_care) as double) as change_pct_gap,
    nullif(concat_ws(', ',
        case when (change_total_days is null) <> (total_days is null or previous_total_days is null)
             then 'change_total_days' end,
        case when (change_att_social_care_days is null)
                  <> (att_social_care_days is null or previous_att_social_care_days is null)
             then 'change_att_social_care_days' end,
        case when (change_pct_att_social_care is null)
                  <> (pct_att_social_care is null or previous_pct_att_social_care is null)
             then 'change_pct_att_social_care' end), '') as change_blank_mismatch,
    case when (level = 'trust') <> (site_code = 'Total') then level end as level_mismatch,
    nullif(concat_ws(', ',
        case when (rank_improvement is not null) <> coalesce(comparable and change_total_days < 0, false)
             then 'rank_improvement' end,
        case when (rank_deterioration is not null) <> coalesce(comparable and change_total_days > 0, false)
             then 'rank_deterioration' end), '') as rank_mismatch
from monthly_movers
