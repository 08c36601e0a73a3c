// hwkey-cloudsim as Alibaba ECS, driven by Alibaba's own Node.js clients:
// @alicloud/ecs20140526 in two generations (4.3.0 on @alicloud/openapi-client,
// 7.11.6 on @alicloud/openapi-core; typed models, ACS3 and v1 signatures),
// @alicloud/openapi-client alone (generic callApi, query and form bodies) and
// @alicloud/pop-core (the classic RPC client, v1). Each checks what the SDK
// hands its caller: typed fields, error codes and HTTP statuses.
'use strict';

const OpenApi = require('@alicloud/openapi-client');
const RPCClient = require('@alicloud/pop-core');
const {
  env, readKey, md5Blob, ok, refused, equal, fail, skewed, pinned, requireFrom, summary,
} = require('./lib');

const AK = process.env.SDK_ALIYUN_AK;
const SECRET = process.env.SDK_ALIYUN_SECRET;
const AK2 = process.env.SDK_ALIYUN_AK2;
const SECRET2 = process.env.SDK_ALIYUN_SECRET2;
const QUOTA = Number(process.env.SDK_QUOTA);

const rsa = readKey('rsa');
const ec = readKey('ec');
const ed = readKey('ed');

// The Tea error as a caller sees it: code and the HTTP status.
const teaErr = (e) => ({
  code: e.code,
  status: e.statusCode !== undefined ? e.statusCode : e.data && e.data.statusCode,
  message: e.message,
  requestId: e.data && e.data.RequestId,
});
const popErr = (e) => ({
  code: e.code,
  status: e.entry && e.entry.response && e.entry.response.statusCode,
  message: e.message,
  requestId: e.data && e.data.RequestId,
});

// The ECS SDK generations: models, their Config, and where their nonces come from.
const ECS = [
  {
    name: 'ecs4', Ecs: require('@alicloud/ecs20140526'), Config: OpenApi.Config,
    nonces: requireFrom('@alicloud/openapi-client', '@alicloud/tea-util').default,
  },
  {
    name: 'ecs7', Ecs: require('ecs20140526-v7'),
    Config: requireFrom('ecs20140526-v7', '@alicloud/openapi-core').$OpenApiUtil.Config,
    nonces: requireFrom('ecs20140526-v7', '@alicloud/openapi-core/dist/utils').default,
  },
];
function ecsClient(gen, v1, ak = AK, secret = SECRET) {
  const cfg = new gen.Config({
    accessKeyId: ak, accessKeySecret: secret, endpoint: env.host, protocol: 'https',
    regionId: 'cn-hangzhou', readTimeout: 20000, connectTimeout: 5000,
  });
  // 'v2' is the SDK's name for the classic RPC v1 HMAC-SHA1 signature.
  if (v1) cfg.signatureAlgorithm = 'v2';
  return new gen.Ecs.default(cfg);
}

// The whole key-pair life cycle through the typed ECS client in one region.
async function ecsScenario(gen, v1, region) {
  const { Ecs } = gen;
  const m = `${gen.name} ${v1 ? 'v1' : 'acs3'}`;
  const c = ecsClient(gen, v1);
  const R = { regionId: region };

  const regions = await ok(`${m} DescribeRegions`, () =>
    c.describeRegions(new Ecs.DescribeRegionsRequest({})));
  if (regions) {
    const list = regions.body.regions.region;
    equal(`${m} regions listed`, true, list.length > 20);
    equal(`${m} cn-hangzhou endpoint`, 'ecs.aliyuncs.com',
      (list.find((r) => r.regionId === 'cn-hangzhou') || {}).regionEndpoint);
    equal(`${m} DescribeRegions status`, 200, regions.statusCode);
  }

  const imp = await ok(`${m} ImportKeyPair`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    ...R, keyPairName: 'sdk-rsa', publicKeyBody: rsa,
    tag: [new Ecs.ImportKeyPairRequestTag({ key: 'owner', value: 'sec team' })],
  })));
  if (imp) {
    equal(`${m} import name`, 'sdk-rsa', imp.body.keyPairName);
    equal(`${m} import fingerprint`, md5Blob(rsa).aliyun, imp.body.keyPairFingerPrint);
    equal(`${m} import request id`, true, /^[0-9A-F-]{36}$/.test(imp.body.requestId));
  }
  await refused(`${m} duplicate`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    ...R, keyPairName: 'sdk-rsa', publicKeyBody: ec,
  })), teaErr, { code: 'KeyPair.AlreadyExist', status: 400 });
  for (const bad of ['1starts-with-digit', 'x', 'http://named', 'bad name', 'n'.repeat(129)]) {
    await refused(`${m} name ${bad.slice(0, 20)}`, () => c.importKeyPair(
      new Ecs.ImportKeyPairRequest({ ...R, keyPairName: bad, publicKeyBody: ec })),
    teaErr, { code: 'InvalidKeyPairName.Malformed', status: 400 });
  }
  await refused(`${m} ed25519 refused`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    ...R, keyPairName: 'sdk-ed', publicKeyBody: ed,
  })), teaErr, { code: 'InvalidPublicKeyBody.Malformed', status: 400 });
  await refused(`${m} garbage key`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    ...R, keyPairName: 'sdk-junk', publicKeyBody: 'ssh-rsa AAAAB3NzaC1yc2E= junk',
  })), teaErr, { code: 'InvalidPublicKeyBody.Malformed', status: 400 });
  await refused(`${m} missing key`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    ...R, keyPairName: 'sdk-nokey',
  })), teaErr, { code: 'MissingParameter', status: 400 });
  await refused(`${m} unknown region`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    regionId: 'xx-nowhere-1', keyPairName: 'sdk-x', publicKeyBody: ec,
  })), teaErr, { code: 'InvalidRegionId.NotFound', status: 404 });
  await refused(`${m} reserved tag`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    ...R, keyPairName: 'sdk-tag', publicKeyBody: ec,
    tag: [new Ecs.ImportKeyPairRequestTag({ key: 'aliyun-x', value: 'v' })],
  })), teaErr, { code: 'InvalidTagKey.Malformed', status: 400 });

  // Describe: exact name with tags and public key, fingerprint filter.
  let d = await ok(`${m} DescribeKeyPairs exact`, () => c.describeKeyPairs(
    new Ecs.DescribeKeyPairsRequest({ ...R, keyPairName: 'sdk-rsa', includePublicKey: true })));
  if (d) {
    const kp = d.body.keyPairs.keyPair[0] || {};
    equal(`${m} describe count`, 1, d.body.totalCount);
    equal(`${m} describe tag`, [{ tagKey: 'owner', tagValue: 'sec team' }],
      (kp.tags && kp.tags.tag || []).map((t) => ({ tagKey: t.tagKey, tagValue: t.tagValue })));
    equal(`${m} describe public key`, rsa, kp.publicKey);
    equal(`${m} describe creation time`, true, /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/.test(kp.creationTime));
  }
  d = await ok(`${m} DescribeKeyPairs by fingerprint`, () => c.describeKeyPairs(
    new Ecs.DescribeKeyPairsRequest({ ...R, keyPairFingerPrint: md5Blob(rsa).aliyun })));
  if (d) equal(`${m} fingerprint filter`, ['sdk-rsa'], d.body.keyPairs.keyPair.map((k) => k.keyPairName));

  // Paging: 12 more pairs, pages of 5, followed as the docs say.
  for (let i = 1; i <= 12; i++) {
    const name = `page-${String(i).padStart(2, '0')}`;
    await ok(`${m} import ${name}`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
      ...R, keyPairName: name, publicKeyBody: ec,
    })));
  }
  const seen = [];
  for (let page = 1; page <= 5; page++) {
    d = await ok(`${m} DescribeKeyPairs page ${page}`, () => c.describeKeyPairs(
      new Ecs.DescribeKeyPairsRequest({ ...R, keyPairName: 'page-*', pageSize: 5, pageNumber: page })));
    if (!d) break;
    equal(`${m} page ${page} numbers`, [page, 5, 12],
      [d.body.pageNumber, d.body.pageSize, d.body.totalCount]);
    seen.push(...d.body.keyPairs.keyPair.map((k) => k.keyPairName));
    if (d.body.pageNumber * d.body.pageSize >= d.body.totalCount) break;
  }
  equal(`${m} paged names`, Array.from({ length: 12 }, (_, i) => `page-${String(i + 1).padStart(2, '0')}`), seen);
  await refused(`${m} page size 51`, () => c.describeKeyPairs(
    new Ecs.DescribeKeyPairsRequest({ ...R, pageSize: 51 })), teaErr, { code: 'InvalidParameter', status: 400 });
  d = await ok(`${m} DescribeKeyPairs wildcard`, () => c.describeKeyPairs(
    new Ecs.DescribeKeyPairsRequest({ ...R, keyPairName: '*ge-1*' })));
  if (d) equal(`${m} wildcard count`, 3, d.body.totalCount);

  // Attach / detach, and delete refused while attached.
  let a = await ok(`${m} AttachKeyPair`, () => c.attachKeyPair(new Ecs.AttachKeyPairRequest({
    ...R, keyPairName: 'sdk-rsa',
    instanceIds: JSON.stringify(['i-sim0001', 'i-sim0002', 'i-nope', 'i-simwin0001']),
  })));
  if (a) {
    equal(`${m} attach counts`, ['4', '2'], [a.body.totalCount, a.body.failCount]);
    equal(`${m} attach results`, ['200', '200', 'InvalidInstanceId.NotFound',
      'DependencyViolation.WindowsInstance'], a.body.results.result.map((r) => r.code));
    // The SDK's model types Success as a string (the docs' example: a boolean).
    equal(`${m} attach success flags`, ['true', 'true', 'false', 'false'],
      a.body.results.result.map((r) => r.success));
  }
  const inst = await ok(`${m} DescribeInstances`, () => c.describeInstances(
    new Ecs.DescribeInstancesRequest({ ...R, keyPairName: 'sdk-rsa' })));
  if (inst) {
    equal(`${m} instances with the pair`, ['i-sim0001', 'i-sim0002'],
      inst.body.instances.instance.map((i) => i.instanceId));
  }
  await refused(`${m} delete attached`, () => c.deleteKeyPairs(new Ecs.DeleteKeyPairsRequest({
    ...R, keyPairNames: JSON.stringify(['page-01', 'sdk-rsa']),
  })), teaErr, { code: 'InvalidParameter.KeypairAlreadyAttachedInstance', status: 400 });
  await refused(`${m} attach unknown pair`, () => c.attachKeyPair(new Ecs.AttachKeyPairRequest({
    ...R, keyPairName: 'ghost', instanceIds: JSON.stringify(['i-sim0003']),
  })), teaErr, { code: 'InvalidKeyPairName.NotFound', status: 400 });
  await refused(`${m} attach 51 instances`, () => c.attachKeyPair(new Ecs.AttachKeyPairRequest({
    ...R, keyPairName: 'sdk-rsa',
    instanceIds: JSON.stringify(Array.from({ length: 51 }, (_, i) => `i-x${i}`)),
  })), teaErr, { code: 'InvalidInstanceIds.ValueNotSupported', status: 400 });
  a = await ok(`${m} DetachKeyPair`, () => c.detachKeyPair(new Ecs.DetachKeyPairRequest({
    ...R, keyPairName: 'sdk-rsa', instanceIds: JSON.stringify(['i-sim0001', 'i-sim0002']),
  })));
  if (a) equal(`${m} detach fail count`, '0', a.body.failCount);
  await refused(`${m} delete bad list`, () => c.deleteKeyPairs(new Ecs.DeleteKeyPairsRequest({
    ...R, keyPairNames: 'sdk-rsa',
  })), teaErr, { code: 'InvalidKeyPairNames.ValueNotSupported', status: 400 });
  const del = await ok(`${m} DeleteKeyPairs`, () => c.deleteKeyPairs(new Ecs.DeleteKeyPairsRequest({
    ...R, keyPairNames: JSON.stringify(['sdk-rsa', 'page-01', 'never-existed']),
  })));
  if (del) equal(`${m} delete answers a request id`, true, /^[0-9A-F-]{36}$/.test(del.body.requestId));
  d = await ok(`${m} DescribeKeyPairs after delete`, () => c.describeKeyPairs(
    new Ecs.DescribeKeyPairsRequest({ ...R, pageSize: 50 })));
  if (d) equal(`${m} pairs left`, 11, d.body.totalCount);

  // Authentication failures, as this client reports them.
  await refused(`${m} wrong secret`, () => ecsClient(gen, v1, AK, 'wrong-secret').describeRegions(
    new Ecs.DescribeRegionsRequest({})), teaErr, { code: 'SignatureDoesNotMatch', status: 400 });
  const e = await refused(`${m} unknown key id`, () => ecsClient(gen, v1, 'LTAInobody', 'x')
    .describeRegions(new Ecs.DescribeRegionsRequest({})), teaErr,
  { code: 'InvalidAccessKeyId.NotFound', status: 404 });
  if (e) equal(`${m} error request id`, true, /^[0-9A-F-]{36}$/.test(e.requestId));
  const nonce = `sdk-nonce-${m.replace(' ', '-')}-${process.pid}`;
  await pinned(gen.nonces, 'getNonce', nonce, async () => {
    await ok(`${m} first use of a nonce`, () => c.describeRegions(new Ecs.DescribeRegionsRequest({})));
    await refused(`${m} replayed nonce`, () => c.describeRegions(new Ecs.DescribeRegionsRequest({})),
      teaErr, { code: 'SignatureNonceUsed', status: 400 });
  });
  for (const s of [-1000, 1000]) {
    await skewed(s, () => refused(`${m} clock ${s} s`, () => c.describeRegions(
      new Ecs.DescribeRegionsRequest({})), teaErr, { code: 'InvalidTimeStamp.Expired', status: 400 }));
  }
  await skewed(-600, () => ok(`${m} clock -600 s still accepted`, () => c.describeRegions(
    new Ecs.DescribeRegionsRequest({}))));
}

// The generic client: any action by name, parameters in the query or a form body.
async function genericScenario(v1, region) {
  const m = v1 ? 'openapi v1' : 'openapi acs3';
  const cfg = new OpenApi.Config({
    accessKeyId: AK2, accessKeySecret: SECRET2, endpoint: env.host, protocol: 'https',
  });
  if (v1) cfg.signatureAlgorithm = 'v2';
  const c = new OpenApi.default(cfg);
  const Util = requireFrom('@alicloud/openapi-client', '@alicloud/tea-util');
  const call = (action, where) => c.callApi(new OpenApi.Params({
    action, version: '2014-05-26', protocol: 'HTTPS', pathname: '/', method: 'POST',
    authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
  }), new OpenApi.OpenApiRequest(where), new Util.RuntimeOptions({}));

  let r = await ok(`${m} ImportKeyPair (query)`, () => call('ImportKeyPair', {
    query: { RegionId: region, KeyPairName: 'gen-q', PublicKeyBody: ec },
  }));
  if (r) equal(`${m} import answer`, ['gen-q', md5Blob(ec).aliyun, 200],
    [r.body.KeyPairName, r.body.KeyPairFingerPrint, r.statusCode]);
  r = await ok(`${m} ImportKeyPair (form body)`, () => call('ImportKeyPair', {
    body: { RegionId: region, KeyPairName: 'gen-b', PublicKeyBody: rsa },
  }));
  if (r) equal(`${m} form import name`, 'gen-b', r.body.KeyPairName);
  r = await ok(`${m} DescribeKeyPairs`, () => call('DescribeKeyPairs', {
    query: { RegionId: region, PageSize: 50, IncludePublicKey: true },
  }));
  if (r) {
    equal(`${m} describe`, [['gen-b', rsa], ['gen-q', ec]],
      r.body.KeyPairs.KeyPair.map((k) => [k.KeyPairName, k.PublicKey]));
  }
  await refused(`${m} duplicate`, () => call('ImportKeyPair', {
    body: { RegionId: region, KeyPairName: 'gen-b', PublicKeyBody: rsa },
  }), teaErr, { code: 'KeyPair.AlreadyExist', status: 400 });
  await refused(`${m} unknown action`, () => call('CreateUniverse', { query: {} }),
    teaErr, { code: 'InvalidAction.NotFound', status: 404 });
  r = await ok(`${m} DeleteKeyPairs`, () => call('DeleteKeyPairs', {
    query: { RegionId: region, KeyPairNames: JSON.stringify(['gen-q', 'gen-b']) },
  }));
  r = await ok(`${m} DescribeKeyPairs after delete`, () => call('DescribeKeyPairs', {
    query: { RegionId: region },
  }));
  if (r) equal(`${m} none left`, 0, r.body.TotalCount);
}

// The classic RPC client (v1 only), GET and POST.
async function popScenario(region) {
  const m = 'pop-core';
  const c = new RPCClient({
    accessKeyId: AK, accessKeySecret: SECRET, endpoint: env.url, apiVersion: '2014-05-26',
  });
  const opts = (method) => ({ method, timeout: 20000 });
  let r = await ok(`${m} DescribeRegions (GET)`, () => c.request('DescribeRegions', {}, opts('GET')));
  if (r) equal(`${m} regions`, true, r.Regions.Region.length > 20);
  r = await ok(`${m} ImportKeyPair (POST)`, () => c.request('ImportKeyPair', {
    RegionId: region, KeyPairName: 'pop-1', PublicKeyBody: rsa,
  }, opts('POST')));
  if (r) equal(`${m} fingerprint`, md5Blob(rsa).aliyun, r.KeyPairFingerPrint);
  await refused(`${m} duplicate`, () => c.request('ImportKeyPair', {
    RegionId: region, KeyPairName: 'pop-1', PublicKeyBody: rsa,
  }, opts('POST')), popErr, { code: 'KeyPair.AlreadyExist', status: 400 });
  r = await ok(`${m} DescribeKeyPairs (GET)`, () => c.request('DescribeKeyPairs', {
    RegionId: region, KeyPairName: 'pop-*',
  }, opts('GET')));
  if (r) equal(`${m} describe`, [1, 'pop-1'], [r.TotalCount, r.KeyPairs.KeyPair[0].KeyPairName]);
  await refused(`${m} wrong secret`, () => new RPCClient({
    accessKeyId: AK, accessKeySecret: 'nope', endpoint: env.url, apiVersion: '2014-05-26',
  }).request('DescribeRegions', {}, opts('GET')), popErr, { code: 'SignatureDoesNotMatch', status: 400 });
  await refused(`${m} unknown key id`, () => new RPCClient({
    accessKeyId: 'LTAInobody', accessKeySecret: 'nope', endpoint: env.url, apiVersion: '2014-05-26',
  }).request('DescribeRegions', {}, opts('GET')), popErr,
  { code: 'InvalidAccessKeyId.NotFound', status: 404 });
  const kitx = requireFrom('@alicloud/pop-core', 'kitx');
  await pinned(kitx, 'makeNonce', `pop-nonce-${process.pid}`, async () => {
    await ok(`${m} first use of a nonce`, () => c.request('DescribeRegions', {}, opts('POST')));
    await refused(`${m} replayed nonce`, () => c.request('DescribeRegions', {}, opts('GET')),
      popErr, { code: 'SignatureNonceUsed', status: 400 });
  });
  await skewed(-1000, () => refused(`${m} stale timestamp`, () => c.request('DescribeRegions', {},
    opts('GET')), popErr, { code: 'InvalidTimeStamp.Expired', status: 400 }));
  r = await ok(`${m} DeleteKeyPairs`, () => c.request('DeleteKeyPairs', {
    RegionId: region, KeyPairNames: JSON.stringify(['pop-1']),
  }, opts('POST')));
}

// The 500-per-region quota (lowered by the test to keep it quick).
async function quotaScenario(gen, region) {
  const m = `quota ${gen.name}`;
  const { Ecs } = gen;
  const c = ecsClient(gen, false);
  for (let i = 1; i <= QUOTA; i++) {
    const r = await ok(`${m} import ${i}`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
      regionId: region, keyPairName: `q${i}`, publicKeyBody: ec,
    })));
    if (!r) return;
  }
  await refused(`${m} one past the quota`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    regionId: region, keyPairName: 'q-over', publicKeyBody: ec,
  })), teaErr, { code: 'QuotaExceed.KeyPair', status: 403 });
  await ok(`${m} delete one`, () => c.deleteKeyPairs(new Ecs.DeleteKeyPairsRequest({
    regionId: region, keyPairNames: JSON.stringify(['q1']),
  })));
  await ok(`${m} a freed slot`, () => c.importKeyPair(new Ecs.ImportKeyPairRequest({
    regionId: region, keyPairName: 'q-over', publicKeyBody: ec,
  })));
}

(async () => {
  try {
    await ecsScenario(ECS[0], false, 'cn-hangzhou');
    await ecsScenario(ECS[0], true, 'cn-shanghai');
    await ecsScenario(ECS[1], false, 'cn-guangzhou');
    await ecsScenario(ECS[1], true, 'cn-heyuan');
    await genericScenario(false, 'cn-qingdao');
    await genericScenario(true, 'cn-shenzhen');
    await popScenario('cn-chengdu');
    await quotaScenario(ECS[1], 'cn-beijing');
  } catch (e) {
    fail('aliyun driver', e.stack || String(e));
  }
  process.exitCode = summary('aliyun');
})();
