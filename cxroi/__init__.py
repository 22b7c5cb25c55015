"""cxroi: turn survey and CRM exports into NPS, CSAT, CES, churn, CLV and CX programme ROI."""

__version__ = "0.1.0"
