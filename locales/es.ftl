# Español. Tuteo, como la mayoría de los servicios; quien lo opere puede sustituir el catálogo
# por idioma (LATCHKEY_TEMPLATES_DIR/es/messages.ftl).

language-name = Español

## Duraciones y momentos

in-duration = { $unit ->
    [day] { $count ->
        [one] en { $count } día
       *[other] en { $count } días
    }
    [hour] { $count ->
        [one] en { $count } hora
       *[other] en { $count } horas
    }
    [minute] { $count ->
        [one] en { $count } minuto
       *[other] en { $count } minutos
    }
   *[second] { $count ->
        [one] en { $count } segundo
       *[other] en { $count } segundos
    }
}
time-ago = { $unit ->
    [day] { $count ->
        [one] ayer
       *[other] hace { $count } días
    }
    [hour] { $count ->
        [one] hace { $count } hora
       *[other] hace { $count } horas
    }
    [minute] { $count ->
        [one] hace { $count } minuto
       *[other] hace { $count } minutos
    }
   *[second] ahora mismo
}

## Correos: partes comunes

email-greeting-name = Hola, { $name }:
email-greeting = Hola:
email-link-fallback = Si el botón no funciona, copia este enlace en tu navegador:
email-code-intro = O escribe este código en la página de { $product }:
email-link-once = El enlace sirve una sola vez y caduca { $when }.
email-link-code-once = El enlace y el código sirven una sola vez y caducan { $when }.
email-why = Recibes este correo porque alguien usó { $email } en { $product }.
email-automatic = Este mensaje es automático; las respuestas no se leen.

## verification

verification-subject = Confirma tu dirección de correo
verification-intro = ¡Te damos la bienvenida a { $product }! Confirma que { $email } es tu dirección para terminar de crear tu cuenta.
verification-button = Confirmar mi dirección
verification-expired = ¿Ha caducado? Pide uno nuevo en la página de inicio de sesión.
verification-newest = ¿Te has registrado más de una vez? Usa el correo más reciente: hasta que confirmes la dirección, cada registro nuevo hace que los enlaces y códigos anteriores dejen de funcionar, y si se usaron contraseñas distintas, elegirás una nueva al confirmar.
verification-not-you = ¿No te has registrado? Ignora este correo: sin esta confirmación, la cuenta queda inactiva.

## already_registered

already_registered-subject = Ya tienes una cuenta
already_registered-intro = Alguien acaba de intentar registrarse en { $product } con { $email }, pero esta dirección ya tiene una cuenta. No ha cambiado nada en ella.
already_registered-button = Iniciar sesión
already_registered-forgot = ¿Olvidaste tu contraseña? Elige una nueva aquí:
already_registered-not-you = Si no fuiste tú, ignora este correo. Tu contraseña sigue siendo secreta y nadie puede entrar sin ella.

## password_reset

password_reset-subject = Restablece tu contraseña
password_reset-intro = Hemos recibido una solicitud para restablecer la contraseña de la cuenta de { $product } de { $email }.
password_reset-button = Elegir una contraseña nueva
password_reset-signout = Al poner una contraseña nueva se cierran todas tus sesiones.
password_reset-not-you = ¿No lo has pedido tú? Ignora este correo: tu contraseña sigue igual.

## password_changed

password_changed-subject = Tu contraseña ha cambiado
password_changed-intro = Se acaba de cambiar la contraseña de tu cuenta de { $product } ({ $email }) y se han cerrado tus otras sesiones.
password_changed-you = Si fuiste tú, no tienes que hacer nada más.
password_changed-button = Restablecer mi contraseña
password_changed-not-you = Si no fuiste tú, puede que alguien conozca tu contraseña: restablécela ahora.

## email_change_confirm_new

email_change_confirm_new-subject = Confirma tu nueva dirección de correo
email_change_confirm_new-intro = Has pedido usar { $new_email } en tu cuenta de { $product } (ahora { $old_email }). Confirma que esta dirección es tuya.
email_change_confirm_new-button = Confirmar la nueva dirección
email_change_confirm_new-pending = No cambia nada hasta que lleguen todas las confirmaciones.
email_change_confirm_new-not-you = ¿No lo has pedido tú? Ignora este correo: la dirección no cambiará.

## email_change_confirm_old

email_change_confirm_old-subject = Aprueba el cambio de tu dirección de correo
email_change_confirm_old-intro = Alguien con la sesión iniciada en tu cuenta de { $product } ha pedido cambiar su dirección de correo de { $old_email } a { $new_email }.
email_change_confirm_old-button = Aprobar el cambio
email_change_confirm_old-pending = La dirección solo cambia cuando las dos direcciones lo han confirmado.
email_change_confirm_old-not-you = Si no fuiste tú, no abras el enlace y cambia tu contraseña enseguida: otra persona puede entrar en tu cuenta.

## email_change_attempt

email_change_attempt-subject = Alguien intentó usar tu dirección de correo
email_change_attempt-intro = Alguien intentó cambiar la dirección de correo de otra cuenta de { $product } a { $email }. Esta dirección ya pertenece a tu cuenta, así que no ha cambiado nada ni cambiará.
email_change_attempt-you = Si fuiste tú, inicia sesión en la cuenta que ya usa esta dirección.
email_change_attempt-button = Iniciar sesión
email_change_attempt-not-you = Si no fuiste tú, puedes ignorar este correo.

## email_changed

email_changed-subject = Tu dirección de correo ha cambiado
email_changed-intro = La dirección de correo de tu cuenta de { $product } ha cambiado de { $old_email } a { $new_email }. Se han cerrado tus otras sesiones.
email_changed-you = Si fuiste tú, no tienes que hacer nada más.
email_changed-not-you = Si no fuiste tú, deshaz el cambio: tu cuenta recupera { $old_email }, se cierran todas las sesiones y te enviamos un enlace para elegir una contraseña nueva.
email_changed-button = Deshacer el cambio

## email_reverted

email_reverted-subject = Se ha deshecho el cambio de tu dirección de correo
email_reverted-intro = Tu cuenta de { $product } vuelve a tener la dirección { $email }: se deshizo el cambio a { $new_email } y se cerraron todas las sesiones.
email_reverted-next = Puede que otra persona conozca tu contraseña, así que elige una nueva ahora.
email_reverted-button = Elegir una contraseña nueva
email_reverted-not-you = Si no deshiciste tú el cambio, ponte en contacto con quien administra { $product }.

## account_deleted

account_deleted-subject = Tu cuenta ha sido eliminada
account_deleted-intro = Se ha eliminado la cuenta de { $product } de { $email }, junto con sus sesiones.
account_deleted-again = Puedes volver a registrarte con esta dirección cuando quieras.
account_deleted-button = Crear una cuenta nueva
account_deleted-not-you = Si no la eliminaste tú, otra persona conocía tu contraseña o la ha eliminado quien administra { $product }: ponte en contacto con esa persona.

## sign_in

sign_in-subject = Tu enlace para iniciar sesión
sign_in-intro = Usa este enlace o código para iniciar sesión en tu cuenta de { $product } ({ $email }) sin contraseña.
sign_in-button = Iniciar sesión
sign_in-not-you = ¿No lo pediste? Ignora este correo: nadie puede iniciar sesión sin él.

## security_method_added, security_method_removed

security_method_added-subject = Se añadió un método de inicio de sesión a tu cuenta
security_method_added-totp = Se configuró una app de autenticación como segundo paso para iniciar sesión en tu cuenta de { $product } ({ $email }).
security_method_added-recovery_codes = Se crearon nuevos códigos de recuperación para tu cuenta de { $product } ({ $email }); los anteriores ya no funcionan.
security_method_added-passkey = Se añadió una llave de acceso a tu cuenta de { $product } ({ $email }).
security_method_removed-subject = Se quitó un método de inicio de sesión de tu cuenta
security_method_removed-totp = Se quitó la app de autenticación de tu cuenta de { $product } ({ $email }): iniciar sesión ya no pide su código.
security_method_removed-passkey = Se quitó una llave de acceso de tu cuenta de { $product } ({ $email }).
security_method_removed-all = Quien administra { $product } quitó todos los segundos pasos y llaves de acceso de tu cuenta ({ $email }).
security_method-you = Si fuiste tú, no tienes que hacer nada más.
security_method-not-you = Si no fuiste tú, puede que alguien tenga acceso a tu cuenta: restablece tu contraseña y revisa tu cuenta ahora.
security_method-button = Revisar mi cuenta

## Páginas: partes comunes

page-skip = Ir al contenido
page-language = Idioma
page-choose-language = Cambiar de idioma
page-sign-in = Iniciar sesión
page-sign-out = Cerrar sesión
page-register = Crear una cuenta
page-forgot = ¿Olvidaste tu contraseña?
mfa-off = Desactivada. Actívala para que se pida un código de una app de autenticación después de tu contraseña.
mfa-on = Activada: una app de autenticación. Códigos de recuperación restantes: { $left }.
mfa-on-button = Configurar una app de autenticación
mfa-codes-button = Crear nuevos códigos de recuperación
mfa-off-button = Desactivar la verificación en dos pasos
mfa-turned-off = La verificación en dos pasos está desactivada.
mfa-setup-title = Configura tu app de autenticación
mfa-setup-scan = Escanea este código con tu app de autenticación y escribe el código de 6 cifras que muestre.
mfa-setup-manual = ¿No puedes escanearlo? Escribe esta clave en la app:
mfa-confirm-button = Activar
field-mfa-app-code = Código de 6 cifras de la app
mfa-codes-title = Tus códigos de recuperación
mfa-codes-intro = Guarda estos códigos en un lugar seguro. Cada uno sirve una vez en lugar de un código de la app. Solo se muestran ahora.
mfa-codes-download = Descargar los códigos
mfa-codes-done = Ya los guardé
page-sign-in-email = Enviarme un código por correo
mfa-title = Verificación en dos pasos
mfa-intro = Escribe el código de 6 cifras de tu app de autenticación, o uno de tus códigos de recuperación.
mfa-button = Continuar
mfa-passkey = Usar una llave de acceso
field-mfa-code = Código
field-mfa-code-hint = 6 cifras de la app, o un código de recuperación como abcde-12345
error-mfa-code = Ese código no funciona. Usa el código más reciente de tu app (cada uno sirve una vez) o un código de recuperación sin usar.
error-mfa-token = Este inicio de sesión tardó demasiado o tuvo demasiados códigos erróneos. Vuelve a iniciar sesión.
sign-in-email-title = Iniciar sesión con un código por correo
sign-in-email-intro = Te enviaremos un enlace y un código de 6 cifras para iniciar sesión sin contraseña.
sign-in-email-button = Enviarme un código
sign-in-code-title = Escribe tu código de inicio de sesión
sign-in-code-intro = Si la dirección tiene una cuenta, le enviamos un enlace y un código. Abre el enlace o escribe aquí el código.
sign-in-code-button = Iniciar sesión
sign-in-link-title = Iniciar sesión en { $product }
sign-in-link-intro = Pulsa el botón para terminar de iniciar sesión.
sign-in-link-button = Iniciar sesión
page-resend = ¿No te ha llegado el correo de confirmación? Enviar un enlace nuevo
page-account = Tu cuenta
page-required = obligatorio
page-show-error = Hay un problema en este formulario.
page-show-password = Mostrar
page-hide-password = Ocultar

## Campos de formulario

field-email = Correo electrónico
field-password = Contraseña
field-new-password = Contraseña nueva
field-new-password-hint = Al menos 8 caracteres. Una frase larga es fácil de recordar y difícil de adivinar.
field-current-password = Contraseña actual
field-name = Nombre
field-name-optional = Nombre (opcional)
field-new-email = Nuevo correo electrónico
field-language = Idioma
language-default = Predeterminado ({ $language })

## Errores

error-email-invalid = Escribe una dirección de correo como nombre@ejemplo.com.
error-password-short = Usa al menos 8 caracteres.
error-password-long = Usa como máximo 1024 caracteres.
error-password-common = Esta contraseña es demasiado común. Elige una más difícil de adivinar.
error-name-invalid = Un nombre no puede contener caracteres de control.
error-locale-invalid = Elige uno de los idiomas de la lista.
error-required = Rellena este campo.
error-credentials = El correo y la contraseña no coinciden.
error-current-password = Esa no es tu contraseña actual.
error-not-verified = Tu dirección de correo aún no está confirmada. Sigue el enlace del correo que te enviamos.
error-not-verified-link = Enviar un nuevo enlace de confirmación
error-disabled = Esta cuenta está desactivada. Ponte en contacto con quien administra { $product }.
error-same-email = Esa ya es tu dirección de correo.
error-email-taken = Esa dirección de correo pertenece ahora a otra cuenta, así que no se puede hacer el cambio.
error-last-admin = Esta es la última cuenta de administrador: nombra primero a otro administrador.
error-server = Algo ha fallado por nuestra parte. Vuelve a intentarlo en un momento.
error-session-gone = Esa sesión ya estaba cerrada.

## Iniciar sesión, registrarse, enlaces por correo

login-title = Inicia sesión en { $product }
login-button = Iniciar sesión
login-new = ¿Eres nuevo?
register-title = Crea tu cuenta de { $product }
register-intro = Te enviaremos un enlace para confirmar tu dirección.
register-button = Crear cuenta
register-have-account = ¿Ya tienes una cuenta?
sent-title = Revisa tu bandeja de entrada
sent-register = Si { $email } puede recibir correo, te llegará un enlace para confirmarla.
sent-resend = Si { $email } tiene una cuenta pendiente de confirmar, te llegará un enlace nuevo.
sent-resend-wait = Hace un momento se envió un enlace a { $email }, si tiene una cuenta pendiente de confirmar. Espera unos minutos; podrás pedir otro dentro de { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
}.
sent-forgot = Si { $email } tiene una cuenta, te llegará un enlace para elegir una contraseña nueva.
sent-spam = ¿No llega nada en unos minutos? Mira en la carpeta de spam.
resend-title = Enviar un nuevo enlace de confirmación
resend-intro = Escribe la dirección con la que te registraste. Si aún falta confirmarla, te enviaremos un enlace nuevo.
resend-button = Enviar el enlace
forgot-title = ¿Olvidaste tu contraseña?
forgot-intro = Escribe tu dirección de correo y te enviaremos un enlace para elegir una contraseña nueva.
forgot-button = Enviar el enlace
forgot-remembered = ¿Ya te acuerdas?

## Páginas que abre un enlace

verify-title = Confirma tu dirección de correo
verify-intro = Pulsa el botón para confirmar tu dirección y activar tu cuenta.
verify-button = Confirmar mi dirección
verify-done-title = Tu dirección está confirmada
verify-done = { $email } está confirmada. Ya puedes iniciar sesión.
verify-contested = { $email } está confirmada. Se registró más de una vez con contraseñas distintas, así que ninguna sirve: elige tu contraseña ahora. También te enviamos un enlace para hacerlo más tarde.
verify-failed-title = Dirección sin confirmar
verify-used = Este enlace ya se usó, así que no queda nada por hacer. Ya puedes iniciar sesión.
verify-used-title = Tu dirección ya está confirmada
reset-title = Elige una contraseña nueva
reset-intro = Al poner una contraseña nueva se cierran todas tus sesiones.
reset-button = Guardar la contraseña
reset-done-title = Contraseña cambiada
reset-done = Tu contraseña nueva está guardada y se han cerrado todas las sesiones. Inicia sesión con ella.
reset-failed-title = La contraseña no ha cambiado
reset-used = Ya se estableció una contraseña nueva con este enlace. Inicia sesión con ella o pide un enlace nuevo si necesitas otro cambio.
reset-used-title = Este enlace ya se usó
confirm-title = Confirma la nueva dirección de correo
confirm-intro = Pulsa el botón para confirmar. La dirección cambia en cuanto lleguen todas las confirmaciones.
confirm-intro-old = Pediste cambiar la dirección de tu cuenta de { $old } a { $new }. Pulsa el botón para aprobarlo desde esta dirección.
confirm-intro-new = Pulsa el botón para confirmar { $new } como nueva dirección de la cuenta { $old }.
confirm-button = Confirmar
confirm-done-title = Dirección de correo cambiada
confirm-done = La dirección de tu cuenta ahora es { $email }.
confirm-waiting-title = Confirmación recibida
confirm-waiting = ¡Gracias! El cambio se aplicará en cuanto la otra dirección también lo confirme.
confirm-failed-title = La dirección de correo no ha cambiado
confirm-used = Esta confirmación ya se recibió. La página de tu cuenta muestra en qué punto está el cambio.
confirm-used-title = Ya confirmado
revert-title = Deshacer el cambio de dirección de correo
revert-intro = Tu cuenta recupera su dirección anterior, se cierran todas las sesiones y enviamos a esa dirección un enlace para elegir una contraseña nueva.
revert-button = Deshacer el cambio
revert-done-title = Cambio deshecho
revert-done = La dirección de tu cuenta vuelve a ser { $email }. Te hemos enviado allí un enlace para elegir una contraseña nueva.
revert-failed-title = El cambio no se ha deshecho
revert-used = Este cambio ya se deshizo. Inicia sesión con la dirección recuperada.
revert-used-title = Ya deshecho
link-missing = Este enlace está incompleto. Vuelve a abrirlo desde el correo o copia el enlace entero en tu navegador.
link-expired = Este enlace ha caducado.
link-used = Este enlace ya se ha usado.
link-invalid = Este enlace ya no funciona: puede que uno más reciente lo haya sustituido.
next-new-verify-link = Enviarme un enlace nuevo
next-new-reset-link = Enviarme un enlace nuevo
next-sign-in = Iniciar sesión
next-account = Ir a tu cuenta
next-try-again = Volver a intentarlo

field-code = Código de 6 cifras del correo
code-verify-title = Escribe tu código de confirmación
code-verify-intro = Escribe la dirección con la que te registraste y el código de 6 cifras del correo que te enviamos.
code-verify-button = Confirmar mi dirección
code-reset-title = Restablece tu contraseña con un código
code-reset-intro = Escribe tu dirección, el código de 6 cifras del correo y una contraseña nueva. Al poner una contraseña nueva se cierran todas tus sesiones.
code-or-link = Abre su enlace o escribe aquí el código de 6 cifras que trae.
code-or-link-reset = Abre su enlace o escribe aquí el código de 6 cifras que trae junto con una contraseña nueva.
error-code-invalid = Ese código no funciona. Comprueba que la dirección es la que recibió el correo y que el código es del correo más reciente. Un código sirve una sola vez y deja de funcionar tras 5 intentos fallidos o cuando caduca su enlace.
next-have-verify-code = ¿Tienes un código de confirmación?
next-have-reset-code = ¿Tienes un código para restablecer la contraseña?
link-use-code = Escribir el código del correo

## La página de la cuenta

account-title = Tu cuenta
account-signed-in-as = Sesión iniciada como { $email }
account-unverified = sin confirmar
account-member-since = Miembro desde { $when }
profile-title = Perfil
profile-button = Guardar
profile-saved = Tu perfil se ha guardado.
email-title = Dirección de correo
email-current = Tu dirección es { $email }.
email-pending = Pendiente de confirmar: { $email }
email-pending-new = La nueva dirección ya ha confirmado.
email-pending-new-waiting = Falta que confirme la nueva dirección.
email-pending-old = Tu dirección actual ya ha confirmado.
email-pending-old-waiting = Falta que confirme tu dirección actual.
email-pending-expires = La solicitud caduca { $when }.
email-cancel = Cancelar el cambio
email-cancelled = Se ha cancelado el cambio de dirección de correo.
email-button = Cambiar la dirección de correo
email-sent = Te hemos enviado enlaces de confirmación. Tu dirección cambiará cuando los abras y confirmes.
password-title = Contraseña
password-button = Cambiar la contraseña
password-changed = Tu contraseña ha cambiado y se han cerrado tus otras sesiones.
sessions-title = Dónde has iniciado sesión
sessions-this-device = Este dispositivo
sessions-last-active = Activo { $when }
sessions-started = Inicio de sesión { $when }
sessions-ip = Dirección IP { $hint }
sessions-sign-out-one = Cerrar la sesión de { $device }
sessions-sign-out-others = Cerrar sesión en los demás dispositivos
sessions-signed-out-one = Se ha cerrado la sesión en ese dispositivo.
sessions-signed-out-others = Se ha cerrado la sesión en los demás dispositivos.
sessions-none-other = No tienes ninguna otra sesión abierta.
device-unknown = Dispositivo desconocido
device-browser-on-os = { $browser } en { $os }
delete-title = Eliminar la cuenta
delete-intro = Se eliminará tu cuenta y se cerrarán todas tus sesiones. No se puede deshacer.
delete-button = Eliminar mi cuenta
delete-done-title = Tu cuenta ha sido eliminada
delete-done = Hemos eliminado tu cuenta y enviado una confirmación a { $email }.
next-new-account = Crear una cuenta nueva

## Otras páginas

rate-limited-title = Demasiados intentos
rate-limited = Por tu seguridad, hemos pausado este formulario. Vuelve a intentarlo { $when }.
csrf-title = Este formulario venía de otro sitio
csrf = No lo hemos aceptado: se envió desde una página ajena a { $product }, que es como funcionan algunos ataques. Si de verdad querías hacerlo, vuelve a { $product } e inténtalo desde allí.
csrf-back = Volver a { $product }
not-found-title = Página no encontrada
not-found = No hay nada en esta dirección.

# Passkeys (sign-in page and account page)
login-passkey = Iniciar sesión con una llave de acceso
passkey-failed = No se pudo usar la llave de acceso. Inténtalo de nuevo o inicia sesión con tu contraseña.
passkeys-title = Llaves de acceso
passkeys-intro = Una llave de acceso te permite iniciar sesión con el bloqueo de pantalla de tu dispositivo o una llave de seguridad, sin contraseña.
passkeys-none = Todavía no tienes llaves de acceso.
passkeys-added-when = Añadida { $when }
passkeys-used-when = Último uso { $when }
passkeys-never-used = Nunca usada
passkeys-rename = Cambiar nombre
passkeys-remove = Quitar
passkeys-add = Añadir una llave de acceso
field-passkey-name = Nombre de la llave de acceso (opcional)
passkey-added = Se añadió la llave de acceso.
passkey-renamed = Se cambió el nombre de la llave de acceso.
passkey-removed = Se quitó la llave de acceso.
passkey-needs-script = Para añadir una llave de acceso, este navegador necesita JavaScript.

## A page path that does not exist, or the wrong method on one
missing-title = Aquí no hay ninguna página
missing = Puede que la dirección esté mal escrita o que la página se haya movido.
wrong-method-title = Esta página no se puede abrir así
wrong-method = Usa los botones de las páginas en lugar de escribir esta dirección; para cerrar sesión, usa «Cerrar sesión» en la parte superior de la página de tu cuenta.
