# Svenska. Den som driftar tjänsten kan byta ut katalogen per språk
# (LATCHKEY_TEMPLATES_DIR/sv/messages.ftl).

language-name = Svenska

## Tidsrymder och tidpunkter

in-duration = { $unit ->
    [day] { $count ->
        [one] om { $count } dag
       *[other] om { $count } dagar
    }
    [hour] { $count ->
        [one] om { $count } timme
       *[other] om { $count } timmar
    }
    [minute] { $count ->
        [one] om { $count } minut
       *[other] om { $count } minuter
    }
   *[second] { $count ->
        [one] om { $count } sekund
       *[other] om { $count } sekunder
    }
}
time-ago = { $unit ->
    [day] { $count ->
        [one] i går
       *[other] för { $count } dagar sedan
    }
    [hour] { $count ->
        [one] för { $count } timme sedan
       *[other] för { $count } timmar sedan
    }
    [minute] { $count ->
        [one] för { $count } minut sedan
       *[other] för { $count } minuter sedan
    }
   *[second] nyss
}

## Mejl: gemensamma delar

email-greeting-name = Hej { $name }!
email-greeting = Hej!
email-link-fallback = Om knappen inte fungerar kan du kopiera den här länken till webbläsaren:
email-code-intro = Eller skriv in den här koden på sidan hos { $product }:
email-link-once = Länken fungerar en gång och går ut { $when }.
email-link-code-once = Länken och koden fungerar en gång och går ut { $when }.
email-why = Du får det här mejlet eftersom någon använde { $email } hos { $product }.
email-automatic = Det här är ett automatiskt meddelande; svar läses inte.

## verification

verification-subject = Bekräfta din e-postadress
verification-intro = Välkommen till { $product }! Bekräfta att { $email } är din adress så är ditt konto klart.
verification-button = Bekräfta min adress
verification-expired = Har länken gått ut? Be om en ny på inloggningssidan.
verification-newest = Har du registrerat dig flera gånger? Använd det senaste mejlet: tills adressen är bekräftad slutar tidigare länkar och koder fungera efter en ny registrering, och om olika lösenord användes väljer du ett nytt när du bekräftar.
verification-not-you = Har du inte registrerat dig? Strunta i det här mejlet: utan bekräftelsen förblir kontot inaktivt.

## already_registered

already_registered-subject = Du har redan ett konto
already_registered-intro = Någon försökte nyss registrera sig hos { $product } med { $email }, men adressen har redan ett konto. Inget har ändrats i det.
already_registered-button = Logga in
already_registered-forgot = Glömt lösenordet? Välj ett nytt här:
already_registered-not-you = Var det inte du kan du strunta i det här mejlet. Ditt lösenord är fortfarande hemligt och ingen kan logga in utan det.

## password_reset

password_reset-subject = Återställ ditt lösenord
password_reset-intro = Vi har fått en begäran om att återställa lösenordet för { $product }-kontot som hör till { $email }.
password_reset-button = Välj ett nytt lösenord
password_reset-signout = Med ett nytt lösenord loggas du ut överallt.
password_reset-not-you = Har du inte bett om det? Strunta i det här mejlet: ditt lösenord förblir som det är.

## password_changed

password_changed-subject = Ditt lösenord har ändrats
password_changed-intro = Lösenordet för ditt { $product }-konto ({ $email }) har just ändrats, och dina andra sessioner har loggats ut.
password_changed-you = Var det du behöver du inte göra något mer.
password_changed-button = Återställ mitt lösenord
password_changed-not-you = Var det inte du kan någon känna till ditt lösenord: återställ det nu.

## email_change_confirm_new

email_change_confirm_new-subject = Bekräfta din nya e-postadress
email_change_confirm_new-intro = Du vill använda { $new_email } för ditt { $product }-konto (i dag { $old_email }). Bekräfta att adressen är din.
email_change_confirm_new-button = Bekräfta den nya adressen
email_change_confirm_new-pending = Inget ändras förrän alla bekräftelser har kommit in.
email_change_confirm_new-not-you = Har du inte bett om det? Strunta i det här mejlet: adressen ändras inte.

## email_change_confirm_old

email_change_confirm_old-subject = Godkänn bytet av din e-postadress
email_change_confirm_old-intro = Någon som är inloggad på ditt { $product }-konto vill byta dess e-postadress från { $old_email } till { $new_email }.
email_change_confirm_old-button = Godkänn bytet
email_change_confirm_old-pending = Adressen ändras först när båda adresserna har bekräftat.
email_change_confirm_old-not-you = Var det inte du ska du inte öppna länken, och byt lösenord direkt: någon annan kan logga in på ditt konto.

## email_change_attempt

email_change_attempt-subject = Någon försökte använda din e-postadress
email_change_attempt-intro = Någon försökte byta e-postadressen för ett annat { $product }-konto till { $email }. Adressen hör redan till ditt konto, så inget har ändrats och inget kommer att ändras.
email_change_attempt-you = Var det du, logga i stället in på kontot som redan använder adressen.
email_change_attempt-button = Logga in
email_change_attempt-not-you = Var det inte du kan du strunta i det här mejlet.

## email_changed

email_changed-subject = Din e-postadress har ändrats
email_changed-intro = E-postadressen för ditt { $product }-konto har ändrats från { $old_email } till { $new_email }. Dina andra sessioner har loggats ut.
email_changed-you = Var det du behöver du inte göra något mer.
email_changed-not-you = Var det inte du kan du ångra bytet: kontot får tillbaka { $old_email }, alla sessioner loggas ut och vi skickar en länk för att välja ett nytt lösenord.
email_changed-button = Ångra bytet

## email_reverted

email_reverted-subject = Bytet av din e-postadress har ångrats
email_reverted-intro = Ditt { $product }-konto har åter adressen { $email }: bytet till { $new_email } har ångrats och alla sessioner har loggats ut.
email_reverted-next = Någon annan kan känna till ditt lösenord, så välj ett nytt nu.
email_reverted-button = Välj ett nytt lösenord
email_reverted-not-you = Om du inte själv ångrade bytet, kontakta den som administrerar { $product }.

## account_deleted

account_deleted-subject = Ditt konto har raderats
account_deleted-intro = { $product }-kontot för { $email } har raderats, tillsammans med dess sessioner.
account_deleted-again = Du kan registrera dig igen med den här adressen när du vill.
account_deleted-button = Skapa ett nytt konto
account_deleted-not-you = Om du inte raderade det själv kände någon annan till ditt lösenord eller så har en administratör tagit bort det: kontakta den som administrerar { $product }.

## sign_in

sign_in-subject = Din inloggningslänk
sign_in-intro = Använd den här länken eller koden för att logga in på ditt { $product }-konto ({ $email }) utan lösenord.
sign_in-button = Logga in
sign_in-not-you = Bad du inte om detta? Strunta i mejlet: ingen kan logga in utan det.

## security_method_added, security_method_removed

security_method_added-subject = En inloggningsmetod lades till på ditt konto
security_method_added-totp = En autentiseringsapp ställdes in som ett andra steg vid inloggning på ditt { $product }-konto ({ $email }).
security_method_added-recovery_codes = Nya återställningskoder skapades för ditt { $product }-konto ({ $email }); de tidigare fungerar inte längre.
security_method_added-passkey = En nyckel (passkey) lades till på ditt { $product }-konto ({ $email }).
security_method_removed-subject = En inloggningsmetod togs bort från ditt konto
security_method_removed-totp = Autentiseringsappen togs bort från ditt { $product }-konto ({ $email }): inloggningen frågar inte längre efter dess kod.
security_method_removed-passkey = En nyckel (passkey) togs bort från ditt { $product }-konto ({ $email }).
security_method_removed-all = En administratör tog bort alla andra steg och nycklar från ditt { $product }-konto ({ $email }).
security_method-you = Om det var du behöver du inte göra något mer.
security_method-not-you = Om det inte var du kan någon ha åtkomst till ditt konto: återställ ditt lösenord och granska ditt konto nu.
security_method-button = Granska mitt konto

## Sidor: gemensamma delar

page-skip = Hoppa till innehållet
page-language = Språk
page-choose-language = Byt språk
page-sign-in = Logga in
page-sign-out = Logga ut
page-register = Skapa ett konto
page-forgot = Glömt lösenordet?
mfa-off = Av. Slå på den för att bli tillfrågad om en kod från en autentiseringsapp efter ditt lösenord.
mfa-on = På: en autentiseringsapp. Återställningskoder kvar: { $left }.
mfa-on-button = Ställ in en autentiseringsapp
mfa-codes-button = Skapa nya återställningskoder
mfa-off-button = Stäng av tvåstegsverifiering
mfa-turned-off = Tvåstegsverifieringen är avstängd.
mfa-setup-title = Ställ in din autentiseringsapp
mfa-setup-scan = Skanna koden med din autentiseringsapp och ange sedan den 6-siffriga koden som den visar.
mfa-setup-manual = Går det inte att skanna? Skriv in den här nyckeln i appen:
mfa-confirm-button = Slå på
field-mfa-app-code = 6-siffrig kod från appen
mfa-codes-title = Dina återställningskoder
mfa-codes-intro = Spara koderna på ett säkert ställe. Varje kod fungerar en gång i stället för en kod från appen. De visas bara nu.
mfa-codes-download = Ladda ner koderna
mfa-codes-done = Jag har sparat dem
page-sign-in-email = Mejla mig en inloggningskod
mfa-title = Tvåstegsverifiering
mfa-intro = Ange den 6-siffriga koden från din autentiseringsapp, eller en av dina återställningskoder.
mfa-button = Fortsätt
mfa-passkey = Använd en nyckel i stället
field-mfa-code = Kod
field-mfa-code-hint = 6 siffror från appen, eller en återställningskod som abcde-12345
error-mfa-code = Koden fungerar inte. Använd den senaste koden från appen (varje kod fungerar en gång) eller en oanvänd återställningskod.
error-mfa-token = Inloggningen tog för lång tid eller fick för många felaktiga koder. Logga in igen.
sign-in-email-title = Logga in med en kod via mejl
sign-in-email-intro = Vi mejlar dig en länk och en 6-siffrig kod som loggar in dig utan lösenord.
sign-in-email-button = Mejla mig en inloggningskod
sign-in-code-title = Ange din inloggningskod
sign-in-code-intro = Om adressen har ett konto har vi skickat en länk och en kod dit. Öppna länken eller ange koden här.
sign-in-code-button = Logga in
sign-in-link-title = Logga in på { $product }
sign-in-link-intro = Tryck på knappen för att slutföra inloggningen.
sign-in-link-button = Logga in
page-resend = Fick du inget bekräftelsemejl? Skicka en ny länk
page-account = Ditt konto
page-required = obligatoriskt
page-show-error = Något i formuläret behöver rättas.
page-show-password = Visa
page-hide-password = Dölj

## Formulärfält

field-email = E-postadress
field-password = Lösenord
field-new-password = Nytt lösenord
field-new-password-hint = Minst 8 tecken. En lång mening är lätt att komma ihåg och svår att gissa.
field-current-password = Nuvarande lösenord
field-name = Namn
field-name-optional = Namn (valfritt)
field-new-email = Ny e-postadress
field-language = Språk
language-default = Standard ({ $language })

## Fel

error-email-invalid = Skriv en e-postadress som namn@exempel.se.
error-password-short = Använd minst 8 tecken.
error-password-long = Använd högst 1024 tecken.
error-password-common = Det här lösenordet är för vanligt. Välj ett som är svårare att gissa.
error-name-invalid = Ett namn får inte innehålla styrtecken.
error-locale-invalid = Välj ett av språken i listan.
error-required = Fyll i det här fältet.
error-credentials = E-postadressen och lösenordet stämmer inte.
error-current-password = Det är inte ditt nuvarande lösenord.
error-not-verified = Din e-postadress är inte bekräftad än. Följ länken i mejlet vi skickade.
error-not-verified-link = Skicka en ny bekräftelselänk
error-disabled = Kontot är avstängt. Kontakta den som administrerar { $product }.
error-same-email = Det är redan din e-postadress.
error-email-taken = E-postadressen hör nu till ett annat konto, så bytet går inte att göra.
error-last-admin = Det här är det sista administratörskontot: utse först en annan administratör.
error-server = Något gick fel hos oss. Försök igen om en liten stund.
error-session-gone = Den sessionen var redan avslutad.

## Logga in, registrera, länkar via mejl

login-title = Logga in på { $product }
login-button = Logga in
login-new = Ny här?
register-title = Skapa ditt { $product }-konto
register-intro = Vi mejlar en länk så att du kan bekräfta din adress.
register-button = Skapa konto
register-have-account = Har du redan ett konto?
sent-title = Titta i inkorgen
sent-register = Om { $email } kan ta emot mejl är en bekräftelselänk på väg.
sent-resend = Om { $email } har ett konto som väntar på bekräftelse är en ny länk på väg.
sent-resend-wait = En länk skickades till { $email } alldeles nyss, om ett konto där väntar på bekräftelse. Vänta några minuter; du kan be om en ny om { $seconds ->
    [one] 1 sekund
   *[other] { $seconds } sekunder
}.
sent-forgot = Om { $email } har ett konto är en länk för att välja ett nytt lösenord på väg.
sent-spam = Inget efter några minuter? Titta i skräpposten.
resend-title = Skicka en ny bekräftelselänk
resend-intro = Skriv adressen du registrerade dig med. Om den inte är bekräftad än skickar vi en ny länk.
resend-button = Skicka länken
forgot-title = Glömt lösenordet?
forgot-intro = Skriv din e-postadress så skickar vi en länk för att välja ett nytt lösenord.
forgot-button = Skicka länken
forgot-remembered = Kom du på det?

## Sidor som en länk öppnar

verify-title = Bekräfta din e-postadress
verify-intro = Tryck på knappen för att bekräfta din adress och aktivera ditt konto.
verify-button = Bekräfta min adress
verify-done-title = Din adress är bekräftad
verify-done = { $email } är bekräftad. Nu kan du logga in.
verify-contested = { $email } är bekräftad. Den registrerades mer än en gång med olika lösenord, så inget av dem gäller: välj ditt lösenord nu. Vi har också skickat en länk så att du kan göra det senare.
verify-failed-title = Adressen är inte bekräftad
verify-used = Länken har redan använts, så det finns inget mer att göra. Du kan logga in.
verify-used-title = Din adress är redan bekräftad
reset-title = Välj ett nytt lösenord
reset-intro = Med ett nytt lösenord loggas du ut överallt.
reset-button = Spara lösenordet
reset-done-title = Lösenordet är ändrat
reset-done = Ditt nya lösenord är sparat och alla sessioner har loggats ut. Logga in med det nu.
reset-failed-title = Lösenordet är inte ändrat
reset-used = Ett nytt lösenord har redan valts med den här länken. Logga in med det, eller be om en ny länk om du vill ändra igen.
reset-used-title = Länken har redan använts
confirm-title = Bekräfta den nya e-postadressen
confirm-intro = Tryck på knappen för att bekräfta. Adressen ändras när alla bekräftelser har kommit in.
confirm-intro-old = Du har bett att byta ditt kontos adress från { $old } till { $new }. Tryck på knappen för att godkänna det från den här adressen.
confirm-intro-new = Tryck på knappen för att bekräfta { $new } som ny adress för kontot { $old }.
confirm-button = Bekräfta
confirm-done-title = E-postadressen är ändrad
confirm-done = Ditt kontos adress är nu { $email }.
confirm-waiting-title = Bekräftelsen är mottagen
confirm-waiting = Tack! Bytet gäller så snart den andra adressen också har bekräftat.
confirm-failed-title = E-postadressen är inte ändrad
confirm-used = Bekräftelsen har redan tagits emot. Kontosidan visar hur långt ändringen har kommit.
confirm-used-title = Redan bekräftat
revert-title = Ångra bytet av e-postadress
revert-intro = Kontot får tillbaka sin tidigare adress, alla sessioner loggas ut och vi skickar en länk för att välja ett nytt lösenord till den adressen.
revert-button = Ångra bytet
revert-done-title = Bytet är ångrat
revert-done = Ditt kontos adress är { $email } igen. Dit har vi skickat en länk för att välja ett nytt lösenord.
revert-failed-title = Bytet är inte ångrat
revert-used = Ändringen har redan ångrats. Logga in med adressen som återställdes.
revert-used-title = Redan ångrat
link-missing = Länken är ofullständig. Öppna den igen från mejlet eller kopiera hela länken till webbläsaren.
link-expired = Länken har gått ut.
link-used = Länken har redan använts.
link-invalid = Länken fungerar inte längre: en nyare länk kan ha ersatt den.
next-new-verify-link = Skicka en ny länk
next-new-reset-link = Skicka en ny länk
next-sign-in = Logga in
next-account = Till ditt konto
next-try-again = Försök igen

field-code = 6-siffrig kod från mejlet
code-verify-title = Skriv in din bekräftelsekod
code-verify-intro = Skriv adressen du registrerade dig med och den 6-siffriga koden från mejlet vi skickade dit.
code-verify-button = Bekräfta min adress
code-reset-title = Återställ lösenordet med en kod
code-reset-intro = Skriv din adress, den 6-siffriga koden från mejlet och ett nytt lösenord. Med ett nytt lösenord loggas du ut överallt.
code-or-link = Öppna länken i mejlet eller skriv in den 6-siffriga koden här.
code-or-link-reset = Öppna länken i mejlet eller skriv in den 6-siffriga koden här tillsammans med ett nytt lösenord.
error-code-invalid = Koden fungerar inte. Kontrollera att adressen är den som mejlet gick till och att koden kommer från det senaste mejlet. En kod fungerar en gång och slutar fungera efter 5 felaktiga försök eller när länken går ut.
next-have-verify-code = Har du en bekräftelsekod?
next-have-reset-code = Har du en kod för att återställa lösenordet?
link-use-code = Skriv in koden från mejlet i stället

## Kontosidan

account-title = Ditt konto
account-signed-in-as = Inloggad som { $email }
account-unverified = inte bekräftad än
account-member-since = Medlem sedan { $when }
profile-title = Profil
profile-button = Spara
profile-saved = Din profil har sparats.
email-title = E-postadress
email-current = Din adress är { $email }.
email-pending = Väntar på bekräftelse: { $email }
email-pending-new = Den nya adressen har bekräftat.
email-pending-new-waiting = Den nya adressen har inte bekräftat än.
email-pending-old = Din nuvarande adress har bekräftat.
email-pending-old-waiting = Din nuvarande adress har inte bekräftat än.
email-pending-expires = Begäran går ut { $when }.
email-cancel = Avbryt bytet
email-cancelled = Bytet av e-postadress har avbrutits.
email-button = Byt e-postadress
email-sent = Vi har skickat bekräftelselänkar. Adressen byts när de har följts.
password-title = Lösenord
password-button = Byt lösenord
password-changed = Ditt lösenord har bytts och dina andra sessioner har loggats ut.
sessions-title = Här är du inloggad
sessions-this-device = Den här enheten
sessions-last-active = Aktiv { $when }
sessions-started = Inloggad { $when }
sessions-ip = IP-adress { $hint }
sessions-sign-out-one = Logga ut { $device }
sessions-sign-out-others = Logga ut alla andra enheter
sessions-signed-out-one = Enheten har loggats ut.
sessions-signed-out-others = Alla andra enheter har loggats ut.
sessions-none-other = Du är inte inloggad någon annanstans.
device-unknown = Okänd enhet
device-browser-on-os = { $browser } på { $os }
delete-title = Radera kontot
delete-intro = Kontot raderas och du loggas ut överallt. Det går inte att ångra.
delete-button = Radera mitt konto
delete-done-title = Ditt konto har raderats
delete-done = Vi har raderat ditt konto och skickat en bekräftelse till { $email }.
next-new-account = Skapa ett nytt konto

## Andra sidor

rate-limited-title = För många försök
rate-limited = För din säkerhet har vi pausat formuläret. Försök igen { $when }.
csrf-title = Formuläret kom från en annan webbplats
csrf = Vi tog inte emot det: formuläret skickades från en sida utanför { $product }, och det är så vissa attacker går till. Om du verkligen ville göra det, gå tillbaka till { $product } och försök igen därifrån.
csrf-back = Tillbaka till { $product }
not-found-title = Sidan finns inte
not-found = Det finns inget på den här adressen.

# Passkeys (sign-in page and account page)
login-passkey = Logga in med en nyckel
passkey-failed = Nyckeln kunde inte användas. Försök igen, eller logga in med ditt lösenord.
passkeys-title = Nycklar (passkeys)
passkeys-intro = En nyckel loggar in dig med enhetens skärmlås eller en säkerhetsnyckel, utan lösenord.
passkeys-none = Du har inga nycklar än.
passkeys-added-when = Tillagd { $when }
passkeys-used-when = Senast använd { $when }
passkeys-never-used = Aldrig använd
passkeys-rename = Byt namn
passkeys-remove = Ta bort
passkeys-add = Lägg till en nyckel
field-passkey-name = Nyckelns namn (valfritt)
passkey-added = Nyckeln lades till.
passkey-renamed = Nyckeln fick ett nytt namn.
passkey-removed = Nyckeln togs bort.
passkey-needs-script = För att lägga till en nyckel behöver den här webbläsaren JavaScript.

## A page path that does not exist, or the wrong method on one
missing-title = Här finns ingen sida
missing = Adressen kan vara felskriven, eller så har sidan flyttat.
wrong-method-title = Sidan kan inte öppnas på det här sättet
wrong-method = Använd knapparna på sidorna i stället för att skriva in adressen; logga ut med ”Logga ut” högst upp på kontosidan.
