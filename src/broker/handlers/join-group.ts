// JoinGroup (11). Kafka answers with the error, an unknown generation (-1), empty leader and
// member ids, and no members; the protocol name is null from v7 (where it is nullable), else "".
import type { Handler } from '../handler.js';
import { defaultJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/index.js';

export const handler: Handler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: 11,
  errorResponse(_req, version, code) {
    return {
      ...defaultJoinGroupResponse(),
      errorCode: code,
      generationId: -1,
      protocolName: version >= 7 ? null : '',
      leader: '',
      memberId: '',
      members: [],
    };
  },
};
