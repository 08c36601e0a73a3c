// hwkey-cloudsim as Huawei Cloud, driven by Huawei's own Node.js SDK:
// @huaweicloud/huaweicloud-sdk-iam (KeystoneListProjects, and the project-id
// lookup the SDK core does by itself) and @huaweicloud/huaweicloud-sdk-core
// under a thin KPS client (kps.js). Checks what the SDK hands its caller:
// fields typed as its models declare, HTTP statuses, error codes and request ids.
'use strict';

const { BasicCredentials, GlobalCredentials, Region } = require('@huaweicloud/huaweicloud-sdk-core');
const Iam = require('@huaweicloud/huaweicloud-sdk-iam/v3/public-api');
const { KpsClient, MODEL } = require('./kps');
const {
  env, readKey, md5Blob, ok, refused, equal, fail, types, skewed, summary,
} = require('./lib');

const AK = process.env.SDK_HUAWEI_AK;
const SK = process.env.SDK_HUAWEI_SK;
const P = process.env.SDK_HUAWEI_PROJECT; // cn-north-4
const P2 = process.env.SDK_HUAWEI_PROJECT2; // cn-east-3

const rsa = readKey('rsa');
const ec = readKey('ec');
const ed = readKey('ed');
const rsa1024 = readKey('rsa1024');
const sk = readKey('sk');

// The SDK's exception as a caller sees it.
const hwErr = (e) => ({
  status: e.httpStatusCode, code: e.errorCode, msg: e.errorMsg, requestId: e.requestId,
});
const REQUEST_ID = /^[0-9A-F-]{36}$/;

function iam(ak = AK, sk_ = SK) {
  return Iam.IamClient.newBuilder()
    .withCredential(new GlobalCredentials().withAk(ak).withSk(sk_).withDomainId(AK))
    .withEndpoint(env.url).build();
}

function kps(project = P, ak = AK, sk_ = SK) {
  return KpsClient.newBuilder()
    .withCredential(new BasicCredentials().withAk(ak).withSk(sk_).withProjectId(project))
    .withEndpoint(env.url).build();
}

async function iamScenario() {
  const m = 'iam';
  const r = await ok(`${m} KeystoneListProjects`, () => iam().keystoneListProjects(
    new Iam.KeystoneListProjectsRequest().withName('cn-north-4')));
  if (r) {
    equal(`${m} project id`, [P], (r.projects || []).map((p) => p.id));
    // Every field of ProjectResult (all required in the vendor's model).
    types(`${m} ProjectResult`, (r.projects || [])[0], {
      id: 'string', name: 'string', domain_id: 'string', parent_id: 'string',
      enabled: 'boolean', is_domain: 'boolean', description: 'string', links: 'object',
    });
    const p = (r.projects || [])[0] || {};
    types(`${m} ProjectResult.links`, p.links, { self: 'string' });
    types(`${m} response links`, r.links, { self: 'string' });
    equal(`${m} status`, 200, r.httpStatusCode);
  }
  const none = await ok(`${m} unknown region`, () => iam().keystoneListProjects(
    new Iam.KeystoneListProjectsRequest().withName('cn-south-1')));
  if (none) equal(`${m} no project`, [], none.projects);
  const all = await ok(`${m} all projects`, () => iam().keystoneListProjects(
    new Iam.KeystoneListProjectsRequest()));
  if (all) equal(`${m} every project`, [P, P2].sort(), all.projects.map((p) => p.id).sort());

  const e = await refused(`${m} wrong SK`, () => iam(AK, 'wrong').keystoneListProjects(
    new Iam.KeystoneListProjectsRequest().withName('cn-north-4')), hwErr,
  { status: 401, code: 'APIGW.0301' });
  if (e) {
    equal(`${m} signature failure message`, true, /verify aksk signature fail/.test(e.msg));
    equal(`${m} request id of an error (X-Request-Id)`, true, REQUEST_ID.test(e.requestId || ''));
  }
  await refused(`${m} unknown AK`, () => iam('HWNOBODY', 'x').keystoneListProjects(
    new Iam.KeystoneListProjectsRequest()), hwErr, { status: 401, code: 'APIGW.0301' });
  for (const s of [-1000, 1000]) {
    await skewed(s, () => refused(`${m} clock ${s} s`, () => iam().keystoneListProjects(
      new Iam.KeystoneListProjectsRequest()), hwErr, { status: 401, code: 'APIGW.0301' }));
  }
}

async function kpsScenario() {
  const m = 'kps';
  const c = kps();
  const body = (name, key) => ({ name, type: 'ssh', scope: 'user', public_key: key });

  let r = await ok(`${m} import ed25519`, () => c.createKeypair(body('sdk-ed', ed)));
  if (r) {
    types(`${m} CreateKeypairResp`, r.keypair, MODEL.created);
    equal(`${m} import answer`, ['sdk-ed', md5Blob(ed).huawei, 200],
      [r.keypair && r.keypair.name, r.keypair && r.keypair.fingerprint, r.httpStatusCode]);
  }
  r = await ok(`${m} import rsa`, () => c.createKeypair(body('sdk_rsa-2048', rsa)));
  if (r) equal(`${m} rsa fingerprint`, md5Blob(rsa).huawei, r.keypair.fingerprint);
  await refused(`${m} duplicate`, () => c.createKeypair(body('sdk-ed', ec)), hwErr,
    { status: 409, code: 'KPS.2001' });
  for (const bad of ['bad.name', 'bad name', 'n'.repeat(65)]) {
    await refused(`${m} name ${bad.slice(0, 12)}`, () => c.createKeypair(body(bad, ec)), hwErr,
      { status: 400, code: 'KPS.0002' });
  }
  await refused(`${m} rsa 1024`, () => c.createKeypair(body('sdk-small', rsa1024)), hwErr,
    { status: 400, code: 'KPS.0002' });
  await refused(`${m} sk key`, () => c.createKeypair(body('sdk-sk', sk)), hwErr,
    { status: 400, code: 'KPS.0002' });
  await refused(`${m} create without a key`, () => c.createKeypair({ name: 'sdk-new' }), hwErr,
    { status: 400, code: 'KPS.0002' });
  for (let i = 1; i <= 5; i++) {
    await ok(`${m} import hw-${i}`, () => c.createKeypair(body(`hw-${i}`, ec)));
  }

  // Paging by next_marker, two at a time.
  const names = [];
  let marker;
  for (let page = 0; page < 10; page++) {
    r = await ok(`${m} ListKeypairs page ${page + 1}`, () => c.listKeypairs('2', marker));
    if (!r) break;
    for (const k of r.keypairs) {
      types(`${m} Keypair ${k.keypair.name}`, k.keypair, MODEL.listed);
      names.push(k.keypair.name);
    }
    equal(`${m} page ${page + 1} count`, r.keypairs.length, r.page_info.current_count);
    marker = r.page_info.next_marker;
    if (!marker) break;
  }
  equal(`${m} paged names`, ['hw-1', 'hw-2', 'hw-3', 'hw-4', 'hw-5', 'sdk-ed', 'sdk_rsa-2048'], names);
  await refused(`${m} bad limit`, () => c.listKeypairs('0'), hwErr, { status: 400, code: 'KPS.0002' });

  r = await ok(`${m} ListKeypairDetail`, () => c.listKeypairDetail('sdk-ed'));
  if (r) {
    types(`${m} KeypairDetail`, r.keypair, MODEL.detail);
    equal(`${m} detail key`, ed, r.keypair && r.keypair.public_key);
  }
  r = await ok(`${m} DeleteKeypair`, () => c.deleteKeypair('sdk-ed'));
  if (r) equal(`${m} delete status`, 204, r.httpStatusCode);
  let e = await refused(`${m} detail of a deleted pair`, () => c.listKeypairDetail('sdk-ed'), hwErr,
    { status: 404, code: 'KPS.6004' });
  if (e) equal(`${m} request id of an error (X-Request-Id)`, true, REQUEST_ID.test(e.requestId || ''));
  await refused(`${m} delete again`, () => c.deleteKeypair('sdk-ed'), hwErr,
    { status: 404, code: 'KPS.6004' });

  // Projects: the other region is empty; a project of nobody is refused.
  r = await ok(`${m} list cn-east-3`, () => kps(P2).listKeypairs());
  if (r) equal(`${m} cn-east-3 empty`, [], r.keypairs);
  await refused(`${m} project of another account`, () =>
    kps('00000000000000000000000000000000').listKeypairs(), hwErr, { status: 403, code: 'KPS.9003' });

  // No project id given: the SDK core asks IAM (KeystoneListProjects) itself.
  const auto = KpsClient.newBuilder()
    .withCredential(new BasicCredentials().withAk(AK).withSk(SK).withIamEndpoint(env.url))
    .withRegion(new Region('cn-north-4', env.url)).build();
  r = await ok(`${m} project id found through IAM`, () => auto.listKeypairDetail('hw-1'));
  if (r) equal(`${m} detail through the looked-up project`, 'hw-1', r.keypair.name);

  // Signature failures.
  e = await refused(`${m} wrong SK`, () => kps(P, AK, 'wrong').listKeypairs(), hwErr,
    { status: 401, code: 'APIGW.0301' });
  await skewed(-1000, () => refused(`${m} stale X-Sdk-Date`, () => c.listKeypairs(), hwErr,
    { status: 401, code: 'APIGW.0301' }));
  await skewed(600, () => ok(`${m} X-Sdk-Date 10 minutes ahead`, () => c.listKeypairs()));
}

(async () => {
  try {
    await iamScenario();
    await kpsScenario();
  } catch (e) {
    fail('huawei driver', e.stack || String(e));
  }
  process.exitCode = summary('huawei');
})();
