-- A share of a total in percent; a site or month with no delays at all gets no percentage
-- (blank), not 0 %.
create or replace macro pct_of_total(part, total) as
    case when total = 0 then null else 100.0 * part / total end;
