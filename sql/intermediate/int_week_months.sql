-- depends_on: int_site_weeks
-- Which month each reported week counts towards, and how many of its seven days it takes there.
-- month_rule = week_ending: the whole week belongs to the month of its week-ending date
-- (the council's convention, so a month has four or five weeks).
-- month_rule = calendar: the week's seven days are split across months by date.
with weeks as (
    select distinct week_ending from int_site_weeks
),

week_days as (
    select week_ending, unnest(generate_series(week_ending - 6, week_ending, interval 1 day))::date as day
    from weeks
),

calendar_shares as (
    select week_ending, strftime(day, '%Y-%m') as month, count(*) as days_of_week
    from week_days
    group by week_ending, month
),

week_ending_shares as (
    select week_ending, strftime(week_ending, '%Y-%m') as month, 7 as days_of_week
    from weeks
)

select * from week_ending_shares where getvariable('month_rule') = 'week_ending'
union all
select * from calendar_shares where getvariable('month_rule') = 'calendar'
