import semver from 'semver';

export async function run() {
  const versions = ['1.2.3', '1.10.0', '1.2.10', '2.0.0-beta.1', '2.0.0', '0.9.9'];
  return {
    sorted: semver.sort([...versions]),
    max: semver.maxSatisfying(versions, '^1.2.0'),
    satisfies: semver.satisfies('2.0.0-beta.1', '>=2.0.0-alpha', { includePrerelease: true }),
    bump: semver.inc('1.2.3', 'minor'),
    coerced: semver.coerce('v3.4 final').version,
    range: semver.validRange('1.x || >=2.5.0 <3'),
  };
}
