/** What the seat page knew about a hold (show, schedule, seat names), for the checkout page. */
export interface HoldContext {
  performanceId: string;
  scheduleId: string;
  labels: string[];
}

const key = (holdId: string) => `qt.hold.${holdId}`;

export function saveHoldContext(holdId: string, context: HoldContext): void {
  sessionStorage.setItem(key(holdId), JSON.stringify(context));
}

export function loadHoldContext(holdId: string): HoldContext | null {
  try {
    const raw = sessionStorage.getItem(key(holdId));
    return raw === null ? null : (JSON.parse(raw) as HoldContext);
  } catch {
    return null;
  }
}
