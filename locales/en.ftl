# English: the reference catalogue. Every other language has exactly these keys
# (src/i18n tests fail otherwise). Messages are plain text: pages and emails escape them.
# Variables every message may use: $product (LATCHKEY_PRODUCT_NAME).

language-name = English

## Durations and times. $unit is second, minute, hour or day.

in-duration = { $unit ->
    [day] { $count ->
        [one] in 1 day
       *[other] in { $count } days
    }
    [hour] { $count ->
        [one] in 1 hour
       *[other] in { $count } hours
    }
    [minute] { $count ->
        [one] in 1 minute
       *[other] in { $count } minutes
    }
   *[second] { $count ->
        [one] in 1 second
       *[other] in { $count } seconds
    }
}
time-ago = { $unit ->
    [day] { $count ->
        [one] yesterday
       *[other] { $count } days ago
    }
    [hour] { $count ->
        [one] 1 hour ago
       *[other] { $count } hours ago
    }
    [minute] { $count ->
        [one] 1 minute ago
       *[other] { $count } minutes ago
    }
   *[second] just now
}

## Emails: shared parts

email-greeting-name = Hi { $name },
email-greeting = Hello,
email-link-fallback = If the button doesn’t work, copy this link into your browser:
email-code-intro = Or enter this code on the { $product } page:
email-link-once = The link works once and expires { $when }.
email-link-code-once = The link and the code work once and expire { $when }.
email-why = You got this email because someone used { $email } with { $product }.
email-automatic = This is an automatic message; replies are not read.

## verification

verification-subject = Confirm your email address
verification-intro = Welcome to { $product }! Confirm that { $email } is your address to finish setting up your account.
verification-button = Confirm my address
verification-expired = Has it expired? Ask for a new one on the sign-in page.
verification-newest = Signed up more than once? Use the newest email: until the address is confirmed, signing up again makes earlier links and codes stop working, and if the sign-ups used different passwords you choose a new one when you confirm.
verification-not-you = Didn’t sign up? Then ignore this email: the account stays inactive without this confirmation.

## already_registered

already_registered-subject = You already have an account
already_registered-intro = Someone just tried to sign up to { $product } with { $email }, but this address already has an account. Nothing about it has changed.
already_registered-button = Sign in
already_registered-forgot = Forgot your password? Choose a new one here:
already_registered-not-you = If that wasn’t you, ignore this email. Your password stays private and nobody can sign in without it.

## password_reset

password_reset-subject = Reset your password
password_reset-intro = We got a request to reset the password of the { $product } account for { $email }.
password_reset-button = Choose a new password
password_reset-signout = Setting a new password signs you out everywhere.
password_reset-not-you = Didn’t ask for this? Ignore this email: your password stays as it is.

## password_changed

password_changed-subject = Your password was changed
password_changed-intro = The password of your { $product } account ({ $email }) was just changed, and your other sessions were signed out.
password_changed-you = If that was you, there’s nothing more to do.
password_changed-button = Reset my password
password_changed-not-you = If it wasn’t you, someone may know your password: reset it now.

## email_change_confirm_new

email_change_confirm_new-subject = Confirm your new email address
email_change_confirm_new-intro = You asked to use { $new_email } for your { $product } account (now { $old_email }). Confirm that this address is yours.
email_change_confirm_new-button = Confirm new address
email_change_confirm_new-pending = Nothing changes until every confirmation is in.
email_change_confirm_new-not-you = Didn’t ask for this? Ignore this email: the address won’t change.

## email_change_confirm_old

email_change_confirm_old-subject = Approve the change of your email address
email_change_confirm_old-intro = Someone signed in to your { $product } account asked to change its email address from { $old_email } to { $new_email }.
email_change_confirm_old-button = Approve the change
email_change_confirm_old-pending = The address changes only once both addresses have confirmed.
email_change_confirm_old-not-you = If that wasn’t you, don’t open the link, and change your password right away: someone else can sign in to your account.

## email_change_attempt

email_change_attempt-subject = Someone tried to use your email address
email_change_attempt-intro = Someone tried to change the email address of another { $product } account to { $email }. This address already belongs to your account, so nothing changed, and nothing will.
email_change_attempt-you = If that was you, sign in to the account that already uses this address instead.
email_change_attempt-button = Sign in
email_change_attempt-not-you = If it wasn’t you, you can ignore this email.

## email_changed

email_changed-subject = Your email address was changed
email_changed-intro = The email address of your { $product } account was changed from { $old_email } to { $new_email }. Your other sessions were signed out.
email_changed-you = If that was you, there’s nothing more to do.
email_changed-not-you = If it wasn’t you, undo the change: your account gets { $old_email } back, every session is signed out, and we send you a link to choose a new password.
email_changed-button = Undo the change

## email_reverted

email_reverted-subject = Your email address change was undone
email_reverted-intro = The email address of your { $product } account is { $email } again: the change to { $new_email } was undone and every session was signed out.
email_reverted-next = Someone else may know your password, so choose a new one now.
email_reverted-button = Choose a new password
email_reverted-not-you = If you didn’t undo the change yourself, contact your { $product } administrator.

## account_deleted

account_deleted-subject = Your account was deleted
account_deleted-intro = The { $product } account for { $email } was deleted, together with its sessions.
account_deleted-again = You can sign up again with this address at any time.
account_deleted-button = Create a new account
account_deleted-not-you = If you didn’t delete it, someone else knew your password or an administrator removed it: contact your { $product } administrator.


## sign_in

sign_in-subject = Your sign-in link
sign_in-intro = Use this link or code to sign in to your { $product } account ({ $email }) without your password.
sign_in-button = Sign in
sign_in-not-you = Didn’t ask for this? Ignore this email: nobody can sign in without it.

## security_method_added, security_method_removed

security_method_added-subject = A sign-in method was added to your account
security_method_added-totp = An authenticator app was set up as a second step for signing in to your { $product } account ({ $email }).
security_method_added-recovery_codes = New recovery codes were made for your { $product } account ({ $email }); the earlier ones no longer work.
security_method_added-passkey = A passkey was added to your { $product } account ({ $email }).
security_method_removed-subject = A sign-in method was removed from your account
security_method_removed-totp = The authenticator app was removed from your { $product } account ({ $email }): signing in no longer asks for its code.
security_method_removed-passkey = A passkey was removed from your { $product } account ({ $email }).
security_method_removed-all = An administrator removed every second step and passkey from your { $product } account ({ $email }).
security_method-you = If that was you, there’s nothing more to do.
security_method-not-you = If it wasn’t you, someone may have access to your account: reset your password and review your account now.
security_method-button = Review my account

## Pages: shared parts

page-skip = Skip to content
page-language = Language
page-choose-language = Change language
page-sign-in = Sign in
page-sign-out = Sign out
page-register = Create an account
page-forgot = Forgot your password?
mfa-off = Off. Turn it on to be asked for a code from an authenticator app after your password.
mfa-on = On: an authenticator app. Recovery codes left: { $left }.
mfa-on-button = Set up an authenticator app
mfa-codes-button = Make new recovery codes
mfa-off-button = Turn off two-step verification
mfa-turned-off = Two-step verification is off.
mfa-setup-title = Set up your authenticator app
mfa-setup-scan = Scan this code with your authenticator app, then enter the 6-digit code it shows.
mfa-setup-manual = Can’t scan? Type this key into the app:
mfa-confirm-button = Turn on
field-mfa-app-code = 6-digit code from the app
mfa-codes-title = Your recovery codes
mfa-codes-intro = Keep these codes somewhere safe. Each works once in place of a code from your app. They are shown only now.
mfa-codes-download = Download the codes
mfa-codes-done = I saved them
page-sign-in-email = Email me a sign-in code
mfa-title = Two-step verification
mfa-intro = Enter the 6-digit code from your authenticator app, or one of your recovery codes.
mfa-button = Continue
mfa-passkey = Use a passkey instead
field-mfa-code = Code
field-mfa-code-hint = 6 digits from the app, or a recovery code like abcde-12345
error-mfa-code = That code doesn’t work. Use the newest code from your app (each works once), or an unused recovery code.
error-mfa-token = That sign-in took too long or had too many wrong codes. Please sign in again.
sign-in-email-title = Sign in with a code by email
sign-in-email-intro = We’ll email you a link and a 6-digit code that sign you in without your password.
sign-in-email-button = Email me a sign-in code
sign-in-code-title = Enter your sign-in code
sign-in-code-intro = If the address has an account, we sent it a link and a code. Open the link, or enter the code here.
sign-in-code-button = Sign in
sign-in-link-title = Sign in to { $product }
sign-in-link-intro = Press the button to finish signing in.
sign-in-link-button = Sign in
page-resend = Didn’t get the confirmation email? Send a new link
page-account = Your account
page-required = required
page-show-error = There is a problem with this form.
page-show-password = Show
page-hide-password = Hide

## Form fields

field-email = Email address
field-password = Password
field-new-password = New password
field-new-password-hint = At least 8 characters. A long phrase is easy to remember and hard to guess.
field-current-password = Current password
field-name = Name
field-name-optional = Name (optional)
field-new-email = New email address
field-language = Language
language-default = Default ({ $language })

## Errors beside fields and at the top of forms

error-email-invalid = Enter an email address like name@example.com.
error-password-short = Use at least 8 characters.
error-password-long = Use at most 1024 characters.
error-password-common = This password is too common. Choose one that’s harder to guess.
error-name-invalid = A name can’t contain control characters.
error-locale-invalid = Choose one of the languages in the list.
error-required = Fill this in.
error-credentials = That email address and password don’t match.
error-current-password = That isn’t your current password.
error-not-verified = Your email address isn’t confirmed yet. Follow the link in the email we sent.
error-not-verified-link = Send a new confirmation link
error-disabled = This account is disabled. Contact your { $product } administrator.
error-same-email = That’s already your email address.
error-email-taken = That email address now belongs to another account, so the change can’t be made.
error-last-admin = This is the last admin account: make another admin first.
error-server = Something went wrong on our side. Please try again in a moment.
error-session-gone = That session had already ended.

## Sign in, sign up, links by email

login-title = Sign in to { $product }
login-button = Sign in
login-new = New here?
register-title = Create your { $product } account
register-intro = We’ll email you a link to confirm your address.
register-button = Create account
register-have-account = Already have an account?
sent-title = Check your inbox
sent-register = If { $email } can receive mail, a link to confirm it is on its way.
sent-resend = If { $email } has an account waiting for confirmation, a new link is on its way.
sent-resend-wait = A link to { $email } was sent a moment ago, if it has an account waiting for confirmation. Give it a few minutes; you can ask for another in { $seconds ->
    [one] 1 second
   *[other] { $seconds } seconds
}.
sent-forgot = If { $email } has an account, a link to choose a new password is on its way.
sent-spam = Nothing after a few minutes? Look in your spam folder.
resend-title = Send a new confirmation link
resend-intro = Enter the address you signed up with. If it still needs confirming, we’ll send a new link.
resend-button = Send the link
forgot-title = Forgot your password?
forgot-intro = Enter your email address and we’ll send you a link to choose a new password.
forgot-button = Send the link
forgot-remembered = Remembered it?

## Pages that a link opens

verify-title = Confirm your email address
verify-intro = Press the button to confirm your address and activate your account.
verify-button = Confirm my address
verify-done-title = Your address is confirmed
verify-done = { $email } is confirmed. You can sign in now.
verify-contested = { $email } is confirmed. It was signed up more than once with different passwords, so none of them works: choose your password now. We also sent you a link to do it later.
verify-failed-title = Address not confirmed
verify-used = This link was used already, so there is nothing left to do. You can sign in.
verify-used-title = Your address is already confirmed
reset-title = Choose a new password
reset-intro = Setting a new password signs you out everywhere.
reset-button = Set new password
reset-done-title = Password changed
reset-done = Your new password is set and every session was signed out. Sign in with it now.
reset-failed-title = Password not changed
reset-used = A new password was already set with this link. Sign in with it, or ask for a new link if you need another change.
reset-used-title = This link was already used
confirm-title = Confirm the new email address
confirm-intro = Press the button to confirm. The address changes once every confirmation is in.
confirm-intro-old = You asked to change your account’s address from { $old } to { $new }. Press the button to approve it from this address.
confirm-intro-new = Press the button to confirm { $new } as the new address of the account { $old }.
confirm-button = Confirm
confirm-done-title = Email address changed
confirm-done = Your account’s address is now { $email }.
confirm-waiting-title = Confirmation received
confirm-waiting = Thanks! The change applies as soon as the other address confirms too.
confirm-failed-title = Email address not changed
confirm-used = This confirmation was already received. Your account page shows where the change stands.
confirm-used-title = Already confirmed
revert-title = Undo the change of email address
revert-intro = Your account gets its previous address back, every session is signed out, and we send a link to choose a new password to that address.
revert-button = Undo the change
revert-done-title = Change undone
revert-done = Your account’s address is { $email } again. We sent a link there to choose a new password.
revert-failed-title = Change not undone
revert-used = This change was already undone. Sign in with the address it restored.
revert-used-title = Already undone
link-missing = This link is incomplete. Open it from the email again, or copy the whole link into your browser.
link-expired = This link has expired.
link-used = This link has already been used.
link-invalid = This link no longer works: a newer one may have replaced it.
next-new-verify-link = Send me a new link
next-new-reset-link = Send me a new link
next-sign-in = Sign in
next-account = Go to your account
next-try-again = Try again

field-code = 6-digit code from the email
code-verify-title = Enter your confirmation code
code-verify-intro = Type the address you signed up with and the 6-digit code from the email we sent there.
code-verify-button = Confirm my address
code-reset-title = Reset your password with a code
code-reset-intro = Type your address, the 6-digit code from the email, and a new password. A new password signs you out everywhere.
code-or-link = Open its link, or enter the 6-digit code from it here.
code-or-link-reset = Open its link, or enter the 6-digit code from it here with a new password.
error-code-invalid = That code doesn’t work. Check that the address is the one the email went to and that the code is from the newest email. A code works once, and stops working after 5 wrong tries or when its link expires.
next-have-verify-code = Have a confirmation code?
next-have-reset-code = Have a password reset code?
link-use-code = Enter the code from the email instead

## The account page

account-title = Your account
account-signed-in-as = Signed in as { $email }
account-unverified = not confirmed yet
account-member-since = Member since { $when }
profile-title = Profile
profile-button = Save
profile-saved = Your profile was saved.
email-title = Email address
email-current = Your address is { $email }.
email-pending = Waiting for confirmation: { $email }
email-pending-new = The new address has confirmed.
email-pending-new-waiting = Waiting for the new address to confirm.
email-pending-old = Your current address has confirmed.
email-pending-old-waiting = Waiting for your current address to confirm.
email-pending-expires = The request expires { $when }.
email-cancel = Cancel the change
email-cancelled = The change of email address was cancelled.
email-button = Change email address
email-sent = We sent confirmation links. Your address changes once they are followed.
password-title = Password
password-button = Change password
password-changed = Your password was changed and your other sessions were signed out.
sessions-title = Where you’re signed in
sessions-this-device = This device
sessions-last-active = Active { $when }
sessions-started = Signed in { $when }
# Where a session began: the address with its last part masked (203.0.113.x).
sessions-ip = IP address { $hint }
sessions-sign-out-one = Sign out { $device }
sessions-sign-out-others = Sign out everywhere else
sessions-signed-out-one = That device was signed out.
sessions-signed-out-others = You were signed out everywhere else.
sessions-none-other = You’re not signed in anywhere else.
device-unknown = Unknown device
device-browser-on-os = { $browser } on { $os }
delete-title = Delete account
delete-intro = This deletes your account and signs you out everywhere. It can’t be undone.
delete-button = Delete my account
delete-done-title = Your account was deleted
delete-done = We deleted your account. We’ve sent a confirmation to { $email }.
next-new-account = Create a new account

## Other pages

rate-limited-title = Too many attempts
rate-limited = For your safety we paused this form. Please try again { $when }.
csrf-title = This form came from another site
csrf = We didn’t accept it: the form was sent from a page outside { $product }, which is how some attacks work. If you meant to do this, go back to { $product } and try again there.
csrf-back = Back to { $product }
not-found-title = Page not found
not-found = There is nothing at this address.

# Passkeys (sign-in page and account page)
login-passkey = Sign in with a passkey
passkey-failed = The passkey could not be used. Try again, or sign in with your password.
passkeys-title = Passkeys
passkeys-intro = A passkey signs you in with your device’s screen lock or a security key, without a password.
passkeys-none = You have no passkeys yet.
passkeys-added-when = Added { $when }
passkeys-used-when = Last used { $when }
passkeys-never-used = Never used
passkeys-rename = Rename
passkeys-remove = Remove
passkeys-add = Add a passkey
field-passkey-name = Name of the passkey (optional)
passkey-added = The passkey was added.
passkey-renamed = The passkey was renamed.
passkey-removed = The passkey was removed.
passkey-needs-script = Adding a passkey needs JavaScript in this browser.

## A page path that does not exist, or the wrong method on one
missing-title = There is no page here
missing = The address may be mistyped, or the page has moved.
wrong-method-title = This page can’t be opened this way
wrong-method = Use the buttons on the pages rather than typing this address; to sign out, use “Sign out” at the top of your account page.
