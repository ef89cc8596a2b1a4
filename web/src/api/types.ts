/** Shapes of the public API (../shared/API.md) the UI reads. Extra fields the server adds are optional. */

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  [member: string]: unknown;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; role: Role };
}

export interface Page<T> {
  page: number;
  size: number;
  total: number;
  items: T[];
}

export interface PerformanceSummary {
  id: string;
  title: string;
  status: string;
  sellerId: string;
  venueId: string;
  venueName?: string;
  salesOpenAt: string;
  salesCloseAt: string;
  firstStartsAt?: string;
  lastStartsAt?: string;
  minPrice?: number;
  maxPrice?: number;
}

export interface Grade {
  grade: string;
  price: number;
  seatCount?: number;
}

export interface SectionView {
  id: string;
  name: string;
  kind: 'SEATED' | 'STANDING';
  rows: number | null;
  seatsPerRow: number | null;
  capacity: number;
  grade?: string;
}

export interface ScheduleView {
  id: string;
  startsAt: string;
  endsAt: string;
  remainingSeats?: number;
  remaining?: { grade: string; available: number }[];
}

export interface QueueSettings {
  admitPerSecond: number;
  maxActive: number;
  admissionTtlSeconds: number;
}

export interface CancellationPolicy {
  deadlineHoursBeforeStart: number;
  fees: { daysBeforeStart: number; percent: number }[];
}

export interface Performance {
  id: string;
  title: string;
  description?: string | null;
  status: string;
  sellerId: string;
  venue?: { id: string; name: string; address?: string };
  salesOpenAt: string;
  salesCloseAt: string;
  maxTicketsPerBuyer: number;
  queue?: QueueSettings;
  cancellationPolicy?: CancellationPolicy;
  grades: Grade[];
  sections?: SectionView[];
  schedules: ScheduleView[];
  cancelledAt?: string | null;
}

export interface PerformanceInput {
  venueId: string;
  title: string;
  description?: string;
  grades: { grade: string; price: number }[];
  sectionGrades: Record<string, string>;
  schedules: { startsAt: string; endsAt?: string }[];
  salesOpenAt: string;
  salesCloseAt: string;
  maxTicketsPerBuyer?: number;
  queue?: Partial<QueueSettings>;
}

export interface Venue {
  id: string;
  name: string;
  address?: string;
  seatCount: number;
  sellerId?: string;
  createdAt?: string;
  sections?: SectionView[];
}

export interface SectionInput {
  name: string;
  kind?: 'SEATED' | 'STANDING';
  rows?: number;
  seatsPerRow?: number;
  capacity?: number;
}

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'SOLD';

export interface Seat {
  id: number;
  section: string;
  row: string;
  number: number;
  grade: string;
  price: number;
  status: SeatStatus;
}

export interface StandingView {
  sectionId: string;
  section: string;
  capacity: number;
  grade: string;
  price: number;
  available: number;
}

export interface SeatMap {
  scheduleId?: string;
  status?: string;
  seats: Seat[];
  standing?: StandingView[];
}

export type QueueState = 'PRE_QUEUE' | 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'CLOSED' | 'NONE';

export interface QueueView {
  state: QueueState;
  ticketNumber: number | null;
  position: number | null;
  etaSeconds: number | null;
  paused: boolean;
  opensAt?: string;
  admissionToken?: string;
  expiresAt?: string;
  closedReason?: string;
  pollAfterSeconds?: number;
}

export interface QueueStats {
  waiting: number;
  active: number;
  admittedTotal: number;
  admitPerSecond: number;
  maxActive: number;
  paused: boolean;
  preQueue?: number;
  measuredAdmitPerSecond?: number;
  closed?: string | null;
}

export interface Hold {
  holdId: string;
  scheduleId: string;
  seatIds: number[];
  sectionId?: string | null;
  quantity?: number;
  status?: string;
  expiresAt: string;
  maxExpiresAt?: string;
}

export interface CouponOption {
  couponId: string;
  discount: number;
}

export interface Quote {
  subtotal: number;
  options: CouponOption[];
  best: CouponOption | null;
}

export interface OrderLine {
  seatId: number | null;
  sectionId: string;
  grade: string;
  price: number;
  entryNumber?: number | null;
  status?: string;
}

export type OrderStatus =
  | 'PENDING_PAYMENT'
  | 'PAYMENT_PENDING'
  | 'PAID'
  | 'EXPIRED'
  | 'CANCELLED'
  | 'REFUNDED'
  | 'PARTIALLY_REFUNDED'
  | 'WAITING_FOR_DEPOSIT';

export interface Order {
  id: string;
  status: OrderStatus;
  subtotal: number;
  discount: number;
  amount: number;
  couponId: string | null;
  tossOrderId: string;
  holdId?: string;
  scheduleId?: string;
  performanceId?: string;
  expiresAt?: string;
  createdAt?: string;
  paidAt?: string | null;
  lines?: OrderLine[];
}

export interface Coupon {
  id: string;
  campaignId: string;
  name?: string;
  kind: string;
  value: number;
  maxDiscount?: number | null;
  minSpend?: number;
  performanceId?: string | null;
  status: 'AVAILABLE' | 'RESERVED' | 'USED' | 'EXPIRED';
  validUntil: string;
  orderId?: string | null;
}

export interface Campaign {
  id: string;
  name: string;
  kind: string;
  value: number;
  maxDiscount?: number | null;
  minSpend?: number;
  performanceId?: string | null;
  fundedBy: 'SELLER' | 'PLATFORM';
  totalQuantity: number;
  perUserLimit: number;
  issueStartsAt: string;
  issueEndsAt: string;
  validUntil: string;
  stoppedAt?: string | null;
  issuedCount: number;
  remaining: number;
  issuing?: boolean;
}

export interface CampaignInput {
  name: string;
  kind: string;
  value: number;
  maxDiscount?: number;
  minSpend?: number;
  performanceId?: string;
  totalQuantity: number;
  perUserLimit: number;
  issueStartsAt: string;
  issueEndsAt: string;
  validUntil: string;
}

export interface CheckoutResult {
  paymentKey: string;
  orderId: string;
  amount: number;
}

export interface ConfirmResult {
  orderId: string;
  status: string;
  approvedAt?: string;
}

export interface MoneyFields {
  grossAmount: number;
  refundAmount: number;
  discountAmount: number;
  pgFeeAmount: number;
  platformFeeAmount: number;
  vatAmount: number;
  cancellationFeeAmount: number;
  payoutAmount: number;
}

export interface Settlement extends MoneyFields {
  id: string;
  sellerId: string;
  periodStart: string;
  periodEnd: string;
  status: 'CALCULATED' | 'CONFIRMED' | 'PAID_OUT';
  payoutDate: string;
  lineCount?: number;
}

export interface SettlementLine extends MoneyFields {
  orderId: string | null;
  type: 'SALE' | 'REFUND' | 'CARRY_FORWARD';
  recordedAt: string;
}

export interface Totals {
  captured: number;
  refunded: number;
  net: number;
  captures: number;
  refunds: number;
}

export interface Reconciliation {
  periodStart: string;
  periodEnd: string;
  ledger: Totals & Record<string, number>;
  payments: Totals | null;
  provider: Totals | null;
  sources?: Record<string, { status: string; detail?: string }>;
  differences: {
    kind: string;
    ref: string;
    orderId: string;
    ledger: number | null;
    payments: number | null;
    provider: number | null;
    issues: string[];
  }[];
  differencesTruncated?: boolean;
  balanced: boolean;
}
