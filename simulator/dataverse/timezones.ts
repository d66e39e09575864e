// Dataverse time zone codes (usersettings.timezonecode, the timezonedefinition table) → IANA
// names, for formatted date-time values in the user's time zone. Only zones a customer of the
// bridge plausibly uses; an unknown code formats in UTC (listed as a known difference).
const ZONES: Readonly<Record<number, string>> = {
  2: 'Pacific/Honolulu', // Hawaiian Standard Time
  3: 'America/Anchorage', // Alaskan Standard Time
  4: 'America/Los_Angeles', // Pacific Standard Time
  10: 'America/Denver', // Mountain Standard Time
  15: 'America/Phoenix', // US Mountain Standard Time
  20: 'America/Chicago', // Central Standard Time
  35: 'America/New_York', // Eastern Standard Time
  85: 'Europe/London', // GMT Standard Time
  90: 'Atlantic/Reykjavik', // Greenwich Standard Time
  92: 'UTC', // Coordinated Universal Time
  95: 'Europe/Budapest', // Central Europe Standard Time
  100: 'Europe/Warsaw', // Central European Standard Time
  105: 'Europe/Paris', // Romance Standard Time
  110: 'Europe/Berlin', // W. Europe Standard Time
  190: 'Asia/Kolkata', // India Standard Time
  210: 'Asia/Shanghai', // China Standard Time
  235: 'Asia/Tokyo', // Tokyo Standard Time
  255: 'Australia/Sydney', // AUS Eastern Standard Time
};

/** The IANA zone of a Dataverse time zone code; UTC when unknown or absent. */
export function ianaZone(code: unknown): string {
  return typeof code === 'number' ? ZONES[code] ?? 'UTC' : 'UTC';
}
