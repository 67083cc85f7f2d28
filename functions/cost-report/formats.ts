// The report's formats, each with its content type: what GET /costs answers (`format=`) and
// what the timer writes (handler.ts REPORT_FILES).
import { renderHtml } from "./render-html";
import { renderCsv, renderJson, renderMarkdown } from "./render-text";

export const FORMATS = {
  json: { type: "application/json", render: renderJson },
  csv: { type: "text/csv; charset=utf-8", render: renderCsv },
  md: { type: "text/markdown; charset=utf-8", render: renderMarkdown },
  html: { type: "text/html; charset=utf-8", render: renderHtml },
} as const;
