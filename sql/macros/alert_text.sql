-- The words of a trajectory alert (alert_candidates): `standing` says where the provider is
-- against its BCF trajectory ("is running above", "is back on"); the figures are whole days.
create or replace macro trajectory_alert_text(standing, provider_name, month, mtd_days, mtd_planned_days,
                                              projected_days, planned_days) as
    printf('%s %s its BCF trajectory for %s: %s delayed days to date against %s planned to date, '
           || 'heading for %s against a plan of %s.',
           provider_name, standing, strftime(strptime(month || '-01', '%Y-%m-%d'), '%B %Y'),
           format('{:,.0f}', mtd_days::double), format('{:,.0f}', mtd_planned_days),
           format('{:,.0f}', projected_days), format('{:,.0f}', planned_days::double));
