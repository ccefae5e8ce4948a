"""The bottom layer every app uses: the domain error, text cleaning, month arithmetic, and the
small HTTP, form and API helpers that turn domain errors into answers. It imports no app."""
