/** The admission a buyer got from the waiting room, kept per schedule for the seat page (this tab). */
export interface Admission {
  token: string;
  expiresAt: string;
}

const key = (scheduleId: string) => `qt.admission.${scheduleId}`;

export function saveAdmission(scheduleId: string, admission: Admission): void {
  sessionStorage.setItem(key(scheduleId), JSON.stringify(admission));
}

export function loadAdmission(scheduleId: string): Admission | null {
  try {
    const raw = sessionStorage.getItem(key(scheduleId));
    return raw === null ? null : (JSON.parse(raw) as Admission);
  } catch {
    return null;
  }
}

export function clearAdmission(scheduleId: string): void {
  sessionStorage.removeItem(key(scheduleId));
}
