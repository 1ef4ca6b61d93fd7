// Every ERROR or FATAL line, as a JSON alert keyed by service, to the topic `alerts`.
//
// Input  topic `logs`:    2024-05-01T12:00:03.120Z web ERROR upstream timed out
// Output topic `alerts`:  key "web", value {"time":"2024-05-01T12:00:03.120Z","level":"ERROR","message":"upstream timed out"}
import { Serdes } from 'brook/streams';

export const config = { applicationId: 'error-alerts', commitIntervalMs: 1000 };

export function topology(builder) {
  builder.stream('logs')
    .filter((_key, line) => / (ERROR|FATAL) /.test(line))
    .map((_key, line) => {
      const [time, service, level, ...message] = line.split(' ');
      return [service, { time, level, message: message.join(' ') }];
    })
    .to('alerts', { valueSerde: Serdes.JSON() });
}
