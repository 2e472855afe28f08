//! Emulator of the ServiceNow Table and Attachment APIs. (Being written.)
