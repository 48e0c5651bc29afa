-- The week ending (the configured weekday, `week_ending_weekday`) on or before a day: the last
-- week that has ended by that day. week_ending_on_or_before(getvariable('as_of')) is the latest
-- week ended by the run's as-of; with `as_of - return_due_days - 1`, the latest week whose
-- return was due before as-of.
create or replace macro week_ending_on_or_before(last_day_included) as (
    select max(days.day)::date
    from generate_series(last_day_included::date - 6, last_day_included::date, interval 1 day) as days (day)
    where lower(dayname(days.day)) = getvariable('week_ending_weekday')
);
