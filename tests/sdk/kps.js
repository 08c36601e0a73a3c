// A Huawei KPS v3 client on @huaweicloud/huaweicloud-sdk-core, because the
// vendor publishes no KPS package on npm (@huaweicloud/huaweicloud-sdk-kps
// answers 404). Each operation hands HcClient the request options the vendor's
// generated clients hand it (method, URL template, content type, path and
// query parameters, body), so signing, project-id handling, transport and
// error mapping are the SDK core's own. MODEL lists the field types of the
// vendor's KPS response models, for the checks.
'use strict';

const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder');

const MODEL = {
  // KeypairDetail (ListKeypairDetail)
  detail: {
    name: 'string', id: 'number', type: 'string', scope: 'string', public_key: 'string',
    fingerprint: 'string', is_key_protection: 'boolean', deleted: 'boolean',
    description: 'string', user_id: 'string', create_time: 'number', update_time: 'number',
    frozen_state: 'number',
  },
  // Keypair (ListKeypairs entries)
  listed: {
    name: 'string', type: 'string', scope: 'string', public_key: 'string',
    fingerprint: 'string', is_key_protection: 'boolean', frozen_state: 'number',
  },
  // CreateKeypairResp
  created: {
    name: 'string', type: 'string', public_key: 'string', fingerprint: 'string',
    user_id: 'string',
  },
};

class KpsClient {
  constructor(hcClient) {
    this.hcClient = hcClient;
  }

  static newBuilder() {
    return new ClientBuilder((c) => new KpsClient(c));
  }

  getPath() {
    return __dirname;
  }

  send(options) {
    return this.hcClient.sendRequest({
      queryParams: {}, pathParams: {}, headers: {}, data: {}, ...options,
    });
  }

  // CreateKeypair with a public key: an import.
  createKeypair(keypair) {
    return this.send({
      method: 'POST', url: '/v3/{project_id}/keypairs',
      contentType: 'application/json;charset=UTF-8',
      headers: { 'Content-Type': 'application/json;charset=UTF-8' }, data: { keypair },
    });
  }

  listKeypairs(limit, marker) {
    const queryParams = {};
    if (limit !== undefined) queryParams.limit = limit;
    if (marker !== undefined) queryParams.marker = marker;
    return this.send({
      method: 'GET', url: '/v3/{project_id}/keypairs', contentType: 'application/json',
      queryParams,
    });
  }

  listKeypairDetail(name) {
    return this.send({
      method: 'GET', url: '/v3/{project_id}/keypairs/{keypair_name}',
      contentType: 'application/json', pathParams: { keypair_name: name },
    });
  }

  deleteKeypair(name) {
    return this.send({
      method: 'DELETE', url: '/v3/{project_id}/keypairs/{keypair_name}',
      contentType: 'application/json', pathParams: { keypair_name: name },
    });
  }
}

module.exports = { KpsClient, MODEL };
