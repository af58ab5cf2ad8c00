/**
 * Receiving a spreadsheet upload: the one-file multipart receiver of src/platform/upload.ts
 * (streamed to disk by formidable with a size limit, the CSRF token checked as the form's first
 * field before a byte is stored), which pictures use too.
 */
export { receiveUpload, type Upload, type UploadToken } from '../platform/upload.js';
