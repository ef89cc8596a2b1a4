import { AppError, Errors } from '../../platform/errors.ts';

export type IssueRefusal = 'SOLD_OUT' | 'LIMIT_REACHED' | 'NOT_ISSUING';

const REFUSAL_DETAIL: Record<IssueRefusal, string> = {
  SOLD_OUT: 'every coupon of this campaign has been issued',
  LIMIT_REACHED: 'you already hold as many coupons of this campaign as it allows',
  NOT_ISSUING: 'this campaign is not issuing coupons now (outside its issue window)',
};

export const CouponErrors = {
  campaignNotFound: () => Errors.notFound('coupon campaign'),
  performanceNotFound: () => Errors.notFound('performance'),
  notYourPerformance: () =>
    new AppError('forbidden', 'FORBIDDEN', 'a seller may create campaigns only for its own performances'),
  notYourCampaign: () =>
    new AppError('forbidden', 'FORBIDDEN', 'only the campaign owner or an admin may do this'),
  sellerNeedsPerformance: () =>
    new AppError(
      'forbidden',
      'FORBIDDEN',
      'a seller campaign must name one of its own performances (only an admin may target all)',
    ),
  performanceNotActive: () =>
    new AppError('conflict', 'PERFORMANCE_NOT_ACTIVE', 'the performance is cancelled or deleted'),
  unknownKind: (kinds: string[]) =>
    Errors.validation('body.kind', `kind must be one of the registered kinds: ${kinds.join(', ')}`),
  issueRefused: (reason: IssueRefusal) => new AppError('conflict', reason, REFUSAL_DETAIL[reason]),
  notUsable: (couponId: string) =>
    new AppError(
      'conflict',
      'COUPON_NOT_USABLE',
      'this coupon is not yours, not available, or not valid for this order',
      {
        extra: { couponId },
      },
    ),
  stateUnavailable: () =>
    Errors.unavailable('COUPON_STATE_UNAVAILABLE', 'coupon issuance is momentarily unavailable; retry'),
};
