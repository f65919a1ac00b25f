import { prettyLogs } from '../../../src/log/logger';

describe('log format', () => {
  it('is pretty on a terminal and JSON otherwise unless LOG_FORMAT says', () => {
    expect(prettyLogs({}, true)).toBe(true);
    expect(prettyLogs({}, false)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: 'pretty' }, false)).toBe(true);
    expect(() => prettyLogs({ LOG_FORMAT: 'yaml' }, true)).toThrow(/^LOG_FORMAT: must be one of auto, json, pretty, got "yaml"/);
  });
});
