// Log-level counts per service per minute, by the time written in each line, each minute emitted
// once when it closes (10 s grace for late lines).
//
// Input  topic `logs`:              2024-05-01T12:00:03.120Z web ERROR upstream timed out
// Output topic `log-level-counts`:  key "web ERROR 2024-05-01T12:00:00.000Z", value 17 (JSON)
// Store  `level-counts`:            brook streams query log-level-counts level-counts "web ERROR"
import { Serdes, Suppressed, TimeWindows } from 'brook/streams';

export const config = { applicationId: 'log-level-counts', commitIntervalMs: 1000 };

/** The line's own time; a line without one keeps the record's timestamp. */
const lineTime = ({ value, timestamp }) => {
  const time = Date.parse(String(value).slice(0, String(value).indexOf(' ')));
  return Number.isNaN(time) ? timestamp : time;
};

export function topology(builder) {
  builder.stream('logs', { timestampExtractor: lineTime })
    .groupBy((_key, line) => {
      const [, service = '?', level = '?'] = line.split(' ');
      return `${service} ${level}`;
    })
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
    .count({ storeName: 'level-counts' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((windowed, count) => [`${windowed.key} ${new Date(windowed.window.start).toISOString()}`, count])
    .to('log-level-counts', { valueSerde: Serdes.JSON() });
}
