// AlterClientQuotas (49). Kafka answers each requested entry, its entity copied, with the error.
// The error message is Kafka's default text for the code (Errors.message()), not the exception's.
import type { Handler } from '../handler.js';
import { errorMessage } from '../../protocol/errors.js';
import {
  defaultAlterClientQuotasResponse,
  defaultAlterClientQuotasResponseEntityData,
  defaultAlterClientQuotasResponseEntryData,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AlterClientQuotasRequest, AlterClientQuotasResponse> = {
  apiKey: 49,
  errorResponse(req, _version, code) {
    return {
      ...defaultAlterClientQuotasResponse(),
      entries: req.entries.map(entry => ({
        ...defaultAlterClientQuotasResponseEntryData(),
        errorCode: code,
        errorMessage: errorMessage(code),
        entity: entry.entity.map(entity => ({
          ...defaultAlterClientQuotasResponseEntityData(),
          entityType: entity.entityType,
          entityName: entity.entityName,
        })),
      })),
    };
  },
};
