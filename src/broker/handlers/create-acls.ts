// CreateAcls (30). One result per requested creation, each with the error and its message (the
// results carry no identifying fields: they answer the creations by position).
import type { Handler } from '../handler.js';
import {
  defaultCreateAclsResponse,
  defaultCreateAclsResponseAclCreationResult,
  type CreateAclsRequest,
  type CreateAclsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: 30,
  errorResponse(req, _version, code, message) {
    return {
      ...defaultCreateAclsResponse(),
      results: req.creations.map(() => ({
        ...defaultCreateAclsResponseAclCreationResult(),
        errorCode: code,
        errorMessage: message ?? null,
      })),
    };
  },
};
