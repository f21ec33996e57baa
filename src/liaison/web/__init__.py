"""The pages people read (issue 11; docs/pages.md): server-rendered Jinja2 templates served
by the API's app, every asset from the package (no CDN, no front-end build step), each
page's data also as JSON (``?format=json``) and, where it is a table, CSV."""
