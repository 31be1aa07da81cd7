// DeleteAcls (31). One result per requested filter (by position), each with the error and its
// message and no matching ACLs.
import type { Handler } from '../handler.js';
import {
  defaultDeleteAclsResponse,
  defaultDeleteAclsResponseDeleteAclsFilterResult,
  type DeleteAclsRequest,
  type DeleteAclsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: 31,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultDeleteAclsResponse(),
      filterResults: req.filters.map(() => ({
        ...defaultDeleteAclsResponseDeleteAclsFilterResult(),
        errorCode: code,
        errorMessage: message ?? null,
        matchingAcls: [],
      })),
    };
  },
};
