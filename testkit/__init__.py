"""What the tests, the benchmarks and the screenshot script share: fictional records, a tablet
over real HTTP, Intake under gunicorn, checks of stored records, and the browser's helpers.

Code outside tests/ imports these, never tests/ itself.
"""
