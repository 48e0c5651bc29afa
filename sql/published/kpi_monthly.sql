-- The council's indicator: % of its residents' delayed days attributable to adult social care
-- (including the social-care share of joint days). Lower is better: GREEN at or under target,
-- RED above the optional ceiling (rag_red_pct_social_care > 0), AMBER otherwise.
with la_months as (
    select
        month,
        sum(social_care_days) as social_care_days,
        sum(both_days) as both_days,
        sum(nhs_days + social_care_days + both_days) as total_days
    from int_site_months
    group by month
),

indicator as (
    select
        month,
        getvariable('home_la') as la_code,
        pct_of_total(att_social_care_days(social_care_days, both_days), total_days) as pct_att_social_care,
        getvariable('rag_target_pct_social_care') as target_pct
    from la_months
)

select
    month,
    la_code,
    pct_att_social_care,
    target_pct,
    case
        when pct_att_social_care is null then null
        when pct_att_social_care <= target_pct then 'GREEN'
        when getvariable('rag_red_pct_social_care') > 0
             and pct_att_social_care > getvariable('rag_red_pct_social_care') then 'RED'
        else 'AMBER'
    end as rag
from indicator
order by month
