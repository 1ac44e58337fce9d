"""Stage 4, publishing: the report's HTML, PDF and workbook from the executed notebooks and the commentary."""
