import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { assertImageReference, imageReferenceProblem } from '../../src/podman/image-ref.js';
import { assertPromptCarriable } from '../../src/run/prompt-check.js';

describe('image references', () => {
  it.for([
    'alpine',
    'alpine:3.19',
    'docker.io/library/alpine:latest',
    'localhost/agentpod/base:1',
    'localhost:5000/team/img:v1.2-rc_3',
    'docker.io/swerebench/sweb.eval.x86_64.encode_1776_starlette-1147',
    'ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'docker://quay.io/podman/stable',
    '[::1]:5000/img',
    '0123456789ab',
    'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ])('accepts %s', (ref) => expect(imageReferenceProblem(ref)).toBeNull());

  it.for([
    ['', /empty/],
    ['my image', /white space/],
    ['localhost/Agentpod/base:1', /"Agentpod": repository names must be lowercase/],
    ['alpine:3:19', /"alpine:3" is not a repository name component/],
    ['alpine:-bad', /not a tag/],
    ['img@sha256:xyz', /not a digest/],
    ['foo//bar', /not a repository name component/],
    ['-foo', /not a repository name component/],
    ['foo_-bar', /not a repository name component/],
  ] as const)('refuses %s', ([ref, why]) => expect(imageReferenceProblem(ref)).toMatch(why));

  it('assertImageReference throws a ConfigError (exit 2) naming the flag', () => {
    expect(() => assertImageReference('Bad', '--image')).toThrow(ConfigError);
    expect(() => assertImageReference('Bad', '--image')).toThrow(/^--image "Bad" is not an image reference podman accepts/);
  });
});

describe('prompts', () => {
  it('a NUL byte is refused with where it is', () => {
    expect(() => assertPromptCarriable('fix it\0 now')).toThrow(/NUL byte \(character 7 of 11\)/);
    expect(() => assertPromptCarriable('fix it\0 now')).toThrow(ConfigError);
  });

  it('any other text passes, newlines and unicode included', () => {
    expect(() => assertPromptCarriable('fix\nit ✓ 日本語\t"quoted"')).not.toThrow();
  });
});
