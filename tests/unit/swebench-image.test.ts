import { describe, expect, it } from 'vitest';
import { fixedImageState } from '../../src/swebench/fixed-images.js';
import { dockerHubName, fixedImageName, imageBaseName, isFullyQualified, pickLocalName, swebenchImageFor } from '../../src/swebench/image-name.js';

describe('image names', () => {
  it('tells fully qualified names from short ones', () => {
    expect(isFullyQualified('docker.io/swerebench/sweb.eval.x86_64.encode_1776_starlette-1147')).toBe(true);
    expect(isFullyQualified('localhost/agentpod-test/calc:1')).toBe(true);
    expect(isFullyQualified('registry:5000/team/img')).toBe(true);
    expect(isFullyQualified('swerebench/sweb.eval.x86_64.encode_1776_starlette-1147')).toBe(false);
    expect(isFullyQualified('ubuntu:22.04')).toBe(false);
  });

  it('reads a short name the way Docker Hub does', () => {
    expect(dockerHubName('swerebench/sweb.eval.x86_64.encode_1776_starlette-1147')).toBe('docker.io/swerebench/sweb.eval.x86_64.encode_1776_starlette-1147:latest');
    expect(dockerHubName('ubuntu:22.04')).toBe('docker.io/library/ubuntu:22.04');
    expect(dockerHubName('team/img@sha256:abc')).toBe('docker.io/team/img@sha256:abc');
  });

  it('names a short name\'s local match by the tag that ends with it', () => {
    expect(pickLocalName('swe/calc', ['localhost/other:1', 'localhost/swe/calc:latest'])).toBe('localhost/swe/calc:latest');
    expect(pickLocalName('calc:2', ['docker.io/library/calc:2'])).toBe('docker.io/library/calc:2');
    expect(pickLocalName('calc', ['localhost/x:9'])).toBe('localhost/x:9');
    expect(pickLocalName('calc', [])).toBeUndefined();
  });

  it('knows SWE-bench\'s image for an instance id', () => {
    expect(swebenchImageFor('astropy__astropy-12907')).toBe('docker.io/swebench/sweb.eval.x86_64.astropy_1776_astropy-12907:latest');
    expect(swebenchImageFor('Django__django-1')).toBe('docker.io/swebench/sweb.eval.x86_64.django_1776_django-1:latest');
  });

  it('gives each source and uid:gid a fixed image name podman accepts', () => {
    expect(fixedImageName('docker.io/swerebench/sweb.eval.x86_64.encode_1776_starlette-1147:latest', 1000, 1000)).toBe(
      'localhost/agentpod-fixed/docker-io-swerebench-sweb-eval-x86-64-encode-1776-starlette-1147-latest:1000-1000',
    );
    expect(fixedImageName('localhost/swe/Calc:1', 1001, 100)).toBe('localhost/agentpod-fixed/swe-calc-1:1001-100');
    expect(imageBaseName('docker.io/swebench/sweb.eval.x86_64.a_1776_b-1:latest')).toBe('sweb.eval.x86_64.a_1776_b-1');
  });

  it('calls a fixed image current only while its source name points at the image it was made from', () => {
    expect(fixedImageState(true, 'sha256:a', 'sha256:a')).toBe('current');
    expect(fixedImageState(true, 'sha256:a', 'sha256:b')).toBe('stale');
    expect(fixedImageState(true, 'sha256:a', undefined)).toBe('source gone');
    expect(fixedImageState(false, 'sha256:a', 'sha256:a')).toBe('untagged');
  });
});
