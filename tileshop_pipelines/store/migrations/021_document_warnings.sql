-- What reading a document's current text noted without refusing it (a cross-reference table
-- pypdf rebuilt, a page whose content could not be read, an empty-password encryption), one
-- escaped line each. 020's columns stay as they are: documents.reason says why a check failed.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS warnings text[] NOT NULL DEFAULT '{}';
