-- depends_on: int_site_months
-- The council's indicator: % of its residents' delayed days attributable to adult social care
-- (including the social-care share of joint days). Lower is better: GREEN at or under target,
-- RED above the optional ceiling (rag_red_pct_social_care > 0), AMBER otherwise.
with indicator as (
    select
        month,
        getvariable('home_la') as la_code,
        pct_of_total(sum(att_social_care_days), sum(total_days)) as pct_att_social_care,
        getvariable('rag_target_pct_social_care') as target_pct
    from int_site_months
    group by month
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
