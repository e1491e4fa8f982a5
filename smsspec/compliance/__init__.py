"""Who must not get a message, and when: opt-out lists and quiet hours.

``optout`` reads opt-out files (one number a line, or CSV with a number column)
into E.164 numbers; ``quiet`` tells, for a number and a moment, whether the
moment falls in quiet hours in any of the number's time zones, and when the
window opens. Neither does anything but compute: validate, plan and send use them.
"""
