import type { ResourceReport } from "./ResourceReport.js";

/** The report events (`runtime.on(name, fn)`). */
export interface ReportEvents {
  /**
   * The periodic resource report: every `resources.reportEveryMs` (default one hour), the report
   * of the period that just ended (see `runtime.resources.report`).
   */
  "report.ready": ResourceReport;
}
