/**
 * Platform specifiers: containerd's normalization with this project's defaults, the errors, list
 * parsing, the predefined build variables and the Node host platform.
 */
import assert from 'node:assert/strict';
import {
  COMMON_PLATFORMS,
  DEFAULT_PLATFORM,
  PlatformError,
  canRunOnLinux,
  formatPlatform,
  parsePlatform,
  parsePlatformList,
  platformFromNode,
  platformVariables,
  samePlatform,
  sealerArch,
  type Platform,
} from '@kubefile/compiler';

const armHost: Platform = { os: 'freebsd', architecture: 'arm64', variant: 'v8' };

describe('parsePlatform: normalization', () => {
  const table: [input: string, expected: string][] = [
    // full specifiers
    ['linux/amd64', 'linux/amd64'],
    ['linux/386', 'linux/386'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['linux/ppc64le', 'linux/ppc64le'],
    ['linux/s390x', 'linux/s390x'],
    ['linux/riscv64', 'linux/riscv64'],
    ['windows/amd64', 'windows/amd64'],
    // architecture aliases
    ['linux/x86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64/v8'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/i386', 'linux/386'],
    // OS alias
    ['macos/arm64', 'darwin/arm64/v8'],
    // variants
    ['linux/arm64', 'linux/arm64/v8'],
    ['linux/arm64/8', 'linux/arm64/v8'],
    ['linux/aarch64/v8', 'linux/arm64/v8'],
    ['linux/arm64/9', 'linux/arm64/v9'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/5', 'linux/arm/v5'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/arm/8', 'linux/arm/v8'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/amd64/v3', 'linux/amd64/v3'],
    ['linux/x86_64/v2', 'linux/amd64/v2'],
    ['linux/i386/v1', 'linux/386'],
    ['linux/armhf/v6', 'linux/arm/v7'],
    // case-insensitive
    ['Linux/AMD64', 'linux/amd64'],
    ['LINUX/ARM/V7', 'linux/arm/v7'],
    ['MacOS/AArch64', 'darwin/arm64/v8'],
    ['Windows/X86_64', 'windows/amd64'],
    // two components need not be known, as in containerd
    ['plan10/myarch', 'plan10/myarch'],
    // lone OS: the default host's architecture
    ['linux', 'linux/amd64'],
    ['windows', 'windows/amd64'],
    ['macos', 'darwin/amd64'],
    // lone architecture: the default host's OS
    ['arm64', 'linux/arm64/v8'],
    ['aarch64', 'linux/arm64/v8'],
    ['x86_64', 'linux/amd64'],
    ['armhf', 'linux/arm/v7'],
    ['armel', 'linux/arm/v6'],
    ['arm', 'linux/arm/v7'],
    ['i386', 'linux/386'],
    ['S390X', 'linux/s390x'],
  ];
  for (const [input, expected] of table) {
    it(`${input} → ${expected}`, () => assert.equal(formatPlatform(parsePlatform(input)), expected));
  }

  it('a lone OS takes the architecture and variant of the given host', () => {
    assert.deepEqual(parsePlatform('linux', armHost), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('Windows', { os: 'linux', architecture: 'arm', variant: 'v6' }), {
      os: 'windows',
      architecture: 'arm',
      variant: 'v6',
    });
  });

  it('a lone architecture takes the OS of the given host', () => {
    assert.deepEqual(parsePlatform('amd64', armHost), { os: 'freebsd', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('armel', armHost), { os: 'freebsd', architecture: 'arm', variant: 'v6' });
  });

  it('leaves `variant` off when there is none', () => {
    const p = parsePlatform('linux/amd64');
    assert.deepEqual(p, { os: 'linux', architecture: 'amd64' });
    assert.equal('variant' in p, false);
  });

  it('parses every common platform to itself', () => {
    for (const s of COMMON_PLATFORMS) assert.equal(formatPlatform(parsePlatform(s)), s);
  });

  it('DEFAULT_PLATFORM is linux/amd64', () => {
    assert.equal(formatPlatform(DEFAULT_PLATFORM), 'linux/amd64');
  });
});

describe('parsePlatform: errors', () => {
  const table: [input: string, message: RegExp][] = [
    ['*', /^invalid platform "\*": wildcards are not supported$/],
    ['linux/*', /^invalid platform "linux\/\*": wildcards are not supported$/],
    ['*/arm64', /wildcards are not supported/],
    ['', /^invalid platform "": the specifier is empty$/],
    ['linux/', /^invalid platform "linux\/": the architecture is empty$/],
    ['/amd64', /^invalid platform "\/amd64": the operating system is empty$/],
    ['linux/arm/', /^invalid platform "linux\/arm\/": the variant is empty$/],
    ['/', /the operating system is empty/],
    ['a/b/c/d', /^invalid platform "a\/b\/c\/d": expected os\/arch\[\/variant\], got 4 components$/],
    ['linux/amd 64', /^invalid platform "linux\/amd 64": the architecture "amd 64" may only contain letters/],
    ['linux/arm64/v8.0', /the variant "v8.0" may only contain/],
    ['windows(10.0.17763)/amd64', /the operating system "windows\(10.0.17763\)" may only contain/],
    [' linux', /the operating system or architecture " linux" may only contain/],
    ['foo', /^invalid platform "foo": "foo" is neither a known operating system nor a known architecture$/],
  ];
  for (const [input, message] of table) {
    it(JSON.stringify(input), () => {
      assert.throws(
        () => parsePlatform(input),
        (e: unknown) => {
          assert.ok(e instanceof PlatformError);
          assert.equal(e.name, 'PlatformError');
          assert.equal(e.specifier, input);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }
});

describe('parsePlatformList', () => {
  const list = (s: string | readonly string[], host?: Platform) => parsePlatformList(s, host).map(formatPlatform);

  it('removes duplicates after normalization', () => {
    assert.deepEqual(list('linux/arm64,aarch64,linux/arm64/v8'), ['linux/arm64/v8']);
  });

  it('splits comma lists in each string, trims, skips blanks and keeps the first order', () => {
    assert.deepEqual(list([' linux/arm64 , linux/amd64', '', 'x86_64,, ', 'linux/arm/v7,armhf']), [
      'linux/arm64/v8',
      'linux/amd64',
      'linux/arm/v7',
    ]);
  });

  it('returns nothing for blank input', () => {
    assert.deepEqual(list(''), []);
    assert.deepEqual(list([]), []);
    assert.deepEqual(list(' , ,'), []);
  });

  it('uses the host for lone words', () => {
    assert.deepEqual(list('linux,amd64', armHost), ['linux/arm64/v8', 'freebsd/amd64']);
  });

  it('throws for the first bad item, naming it', () => {
    assert.throws(() => parsePlatformList('linux/amd64, linux/*'), (e: unknown) => {
      assert.ok(e instanceof PlatformError);
      assert.equal(e.specifier, 'linux/*');
      return true;
    });
  });
});

describe('platformVariables', () => {
  it('an arm/v7 target built on amd64', () => {
    assert.deepEqual(platformVariables(parsePlatform('linux/arm/v7'), parsePlatform('linux/amd64')), {
      ARCH: 'arm',
      TARGETPLATFORM: 'linux/arm/v7',
      TARGETOS: 'linux',
      TARGETARCH: 'arm',
      TARGETVARIANT: 'v7',
      BUILDPLATFORM: 'linux/amd64',
      BUILDOS: 'linux',
      BUILDARCH: 'amd64',
      BUILDVARIANT: '',
    });
  });

  it('an arm64 target: ARCH is the architecture alone', () => {
    const vars = platformVariables(parsePlatform('aarch64'), DEFAULT_PLATFORM);
    assert.equal(vars.ARCH, 'arm64');
    assert.equal(vars.TARGETPLATFORM, 'linux/arm64/v8');
    assert.equal(vars.TARGETVARIANT, 'v8');
  });
});

describe('platformFromNode', () => {
  const table: [platform: string, arch: string, expected: string][] = [
    ['linux', 'x64', 'linux/amd64'],
    ['linux', 'arm64', 'linux/arm64/v8'],
    ['linux', 'arm', 'linux/arm/v7'],
    ['linux', 'ia32', 'linux/386'],
    ['linux', 'ppc64', 'linux/ppc64le'],
    ['linux', 's390x', 'linux/s390x'],
    ['linux', 'riscv64', 'linux/riscv64'],
    ['linux', 'loong64', 'linux/loong64'],
    ['win32', 'x64', 'windows/amd64'],
    ['darwin', 'arm64', 'darwin/arm64/v8'],
    ['freebsd', 'x64', 'freebsd/amd64'],
  ];
  for (const [platform, arch, expected] of table) {
    it(`${platform} ${arch} → ${expected}`, () => assert.equal(formatPlatform(platformFromNode(platform, arch)), expected));
  }
});

describe('samePlatform, sealerArch, canRunOnLinux', () => {
  it('samePlatform compares normalized platforms', () => {
    assert.ok(samePlatform(parsePlatform('linux/arm64'), parsePlatform('aarch64')));
    assert.ok(samePlatform({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
    assert.ok(samePlatform({ os: 'linux', architecture: 'amd64', variant: '' }, { os: 'linux', architecture: 'amd64' }));
    assert.ok(!samePlatform(parsePlatform('linux/arm/v6'), parsePlatform('linux/arm/v7')));
    assert.ok(!samePlatform(parsePlatform('windows/amd64'), parsePlatform('linux/amd64')));
  });

  it('sealerArch is the architecture alone', () => {
    assert.deepEqual(
      COMMON_PLATFORMS.map((s) => sealerArch(parsePlatform(s))),
      ['amd64', '386', 'arm', 'arm', 'arm64', 'ppc64le', 's390x', 'riscv64', 'amd64'],
    );
  });

  it('canRunOnLinux is false only for windows and darwin', () => {
    assert.ok(canRunOnLinux(parsePlatform('linux/arm/v6')));
    assert.ok(canRunOnLinux(parsePlatform('linux/s390x')));
    assert.ok(!canRunOnLinux(parsePlatform('windows/amd64')));
    assert.ok(!canRunOnLinux(parsePlatform('macos/arm64')));
  });
});
