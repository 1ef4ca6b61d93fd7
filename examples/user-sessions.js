// Sessions per user from access logs: requests less than 30 minutes apart (by the time in the
// line) form one session; every change of a session goes to `user-sessions`.
//
// Input  topic `access-logs`:    2024-05-01T12:00:03.120Z alice GET /cart 200
// Output topic `user-sessions`:  key "alice", value {"start":"...","end":"...","requests":4}
//                                (a null value: the session was merged into a longer one)
// Store  `sessions`:             brook streams query user-sessions sessions alice
import { Serdes, SessionWindows } from 'brook/streams';

export const config = { applicationId: 'user-sessions', commitIntervalMs: 1000 };

const lineTime = ({ value, timestamp }) => {
  const time = Date.parse(String(value).slice(0, String(value).indexOf(' ')));
  return Number.isNaN(time) ? timestamp : time;
};

export function topology(builder) {
  builder.stream('access-logs', { timestampExtractor: lineTime })
    .selectKey((_key, line) => line.split(' ')[1] ?? '?')
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(30 * 60_000, 60_000))
    .count({ storeName: 'sessions' })
    .toStream()
    .map((windowed, requests) => [windowed.key, requests === null ? null : {
      start: new Date(windowed.window.start).toISOString(),
      end: new Date(windowed.window.end).toISOString(),
      requests,
    }])
    .to('user-sessions', { valueSerde: Serdes.JSON() });
}
