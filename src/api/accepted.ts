/**
 * The 202 an async submission answers (DPM analyses, proposal operations): the acceptance
 * snapshot of the stored operation, with its resolved correlation id also as a header.
 */
import type { FastifyReply } from 'fastify';
import { isoTimestamp } from './time.js';

export interface AcceptedOperation {
  operation_id: string;
  operation_type: string;
  status: string;
  correlation_id: string;
  created_at: Date;
}

/** Set 202 and X-Correlation-Id on `reply`; the body names the operation and where to poll it. */
export function acceptedOperation(reply: FastifyReply, op: AcceptedOperation, statusUrl: string) {
  reply.status(202).header('X-Correlation-Id', op.correlation_id);
  return {
    operation_id: op.operation_id,
    operation_type: op.operation_type,
    status: op.status,
    correlation_id: op.correlation_id,
    created_at: isoTimestamp(op.created_at),
    status_url: statusUrl,
  };
}
