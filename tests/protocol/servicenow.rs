//! ServiceNow Table and Attachment APIs, as documented and captured (being written).
