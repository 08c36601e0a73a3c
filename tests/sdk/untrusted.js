// Run without NODE_EXTRA_CA_CERTS: every SDK must refuse hwkey-cloudsim's
// self-signed certificate. Proves the other drivers verify it, not skip it.
'use strict';

const Ecs = require('@alicloud/ecs20140526');
const OpenApi = require('@alicloud/openapi-client');
const Ecs7 = require('ecs20140526-v7');
const RPCClient = require('@alicloud/pop-core');
const { GlobalCredentials } = require('@huaweicloud/huaweicloud-sdk-core');
const Iam = require('@huaweicloud/huaweicloud-sdk-iam/v3/public-api');
const { env, refused, requireFrom, summary } = require('./lib');

const CERT_ERRORS = /SELF_SIGNED_CERT|UNABLE_TO_VERIFY|DEPTH_ZERO_SELF_SIGNED|self[- ]signed|unable to verify/i;
const why = (e) => ({
  certificate: CERT_ERRORS.test([e.code, e.message, e.errorMsg, e.cause && e.cause.code]
    .filter(Boolean).join(' ')),
});

(async () => {
  if (process.env.NODE_EXTRA_CA_CERTS) {
    console.error('untrusted.js: run it without NODE_EXTRA_CA_CERTS');
    process.exit(2);
  }
  const ecs = new Ecs.default(new OpenApi.Config({
    accessKeyId: 'testid', accessKeySecret: 'testsecret', endpoint: env.host, protocol: 'https',
  }));
  await refused('ecs over untrusted TLS', () => ecs.describeRegions(new Ecs.DescribeRegionsRequest({})),
    why, { certificate: true });
  const Config7 = requireFrom('ecs20140526-v7', '@alicloud/openapi-core').$OpenApiUtil.Config;
  const ecs7 = new Ecs7.default(new Config7({
    accessKeyId: 'testid', accessKeySecret: 'testsecret', endpoint: env.host, protocol: 'https',
  }));
  await refused('ecs7 over untrusted TLS', () => ecs7.describeRegions(new Ecs7.DescribeRegionsRequest({})),
    why, { certificate: true });
  const pop = new RPCClient({
    accessKeyId: 'testid', accessKeySecret: 'testsecret', endpoint: env.url, apiVersion: '2014-05-26',
  });
  await refused('pop-core over untrusted TLS', () => pop.request('DescribeRegions', {}, {}),
    why, { certificate: true });
  const iam = Iam.IamClient.newBuilder()
    .withCredential(new GlobalCredentials().withAk('a').withSk('b').withDomainId('c'))
    .withEndpoint(env.url).build();
  await refused('huawei iam over untrusted TLS', () => iam.keystoneListProjects(
    new Iam.KeystoneListProjectsRequest()), why, { certificate: true });
  process.exitCode = summary('untrusted');
})();
