/**
 * Colonias, municipios and cities that leads name most, written as they are
 * shown back (with accents). Matching ignores case and accents, so "zapopan"
 * and "ZAPOPAN" find "Zapopan". Add to this list rather than to the rules.
 */
export const KNOWN_PLACES: readonly string[] = [
  // Ciudad de México
  "Roma", "Roma Norte", "Roma Sur", "Condesa", "Hipódromo", "Hipódromo Condesa", "Polanco", "Del Valle", "Del Valle Centro",
  "Del Valle Sur", "Narvarte", "Narvarte Poniente", "Narvarte Oriente", "Coyoacán", "Santa Fe", "Nápoles", "Escandón", "Juárez",
  "Centro Histórico", "Tlalpan", "Pedregal", "Jardines del Pedregal", "Lomas de Chapultepec", "Las Lomas", "Lomas", "San Ángel",
  "Xochimilco", "Azcapotzalco", "Benito Juárez", "Cuauhtémoc", "Miguel Hidalgo", "Álvaro Obregón", "Iztapalapa", "Iztacalco",
  "Gustavo A. Madero", "Venustiano Carranza", "Coapa", "Villa Coapa", "Acoxpa", "Lindavista", "Mixcoac", "Portales", "Doctores",
  "Tacubaya", "Anzures", "Cuajimalpa", "Insurgentes", "Granada", "Nuevo Polanco", "Tlatelolco", "Xoco", "Letrán Valle",
  "Santa María la Ribera", "San Rafael", "Tabacalera", "Cuicuilco", "Copilco", "Ciudad Universitaria", "CU", "Olivar de los Padres",
  "Bosques de las Lomas", "Tecamachalco", "Contadero", "Reforma", "Paseo de la Reforma", "Guerrero", "Obrera", "Álamos",
  "Villa de Cortés", "Churubusco", "Country Club", "Florida", "Guadalupe Inn", "Chimalistac", "Tizapán", "Magdalena Contreras",
  "Tláhuac", "Milpa Alta", "Pedregal de San Nicolás", "CDMX", "Ciudad de México", "DF",
  // Estado de México
  "Interlomas", "Satélite", "Ciudad Satélite", "Naucalpan", "Huixquilucan", "Tlalnepantla", "Ecatepec", "Metepec", "Toluca",
  "Atizapán", "Cuautitlán Izcalli", "Cuautitlán", "Tecámac", "Coacalco", "Tultitlán", "Tultepec", "Zumpango", "Bosque Real",
  "Lomas Verdes", "Lomas de Tecamachalco", "Valle Dorado", "Chalco", "Ixtapaluca", "Texcoco", "Nezahualcóyotl", "Neza",
  "La Herradura", "Valle de Bravo", "Zinacantepec", "Lerma", "Nicolás Romero", "Huehuetoca", "Estado de México", "Edomex",
  // Jalisco
  "Guadalajara", "Zapopan", "Tlaquepaque", "Tonalá", "Tlajomulco", "Providencia", "Chapalita", "Puerta de Hierro", "Valle Real",
  "Andares", "Colonia Americana", "Americana", "Chapultepec", "Santa Tere", "Ciudad del Sol", "Jardines del Bosque",
  "Colinas de San Javier", "Bugambilias", "Solares", "Santa Anita", "El Palomar", "Zona Real", "Real Vallarta", "Lomas del Valle",
  "Av. Vallarta", "Ajijic", "Chapala",
  // Nuevo León y Coahuila
  "Monterrey", "San Pedro Garza García", "San Pedro", "Cumbres", "Apodaca", "Santa Catarina", "Escobedo", "Guadalupe",
  "Carretera Nacional", "Valle Oriente", "Del Valle San Pedro", "Mitras", "Contry", "Obispado", "Chipinque", "Linda Vista",
  "San Nicolás", "San Nicolás de los Garza", "Juárez NL", "García", "Cadereyta", "Santiago", "Sierra Madre", "Saltillo", "Torreón",
  // Bajío y centro
  "Querétaro", "Juriquilla", "El Marqués", "Corregidora", "Zibatá", "El Refugio", "Cimatario", "Centro Sur", "Milenio III",
  "El Campanario", "Jurica", "El Pueblito", "San Juan del Río", "Puebla", "Cholula", "San Andrés Cholula", "San Pedro Cholula",
  "Angelópolis", "Lomas de Angelópolis", "La Vista", "Zavaleta", "Atlixco", "León", "Aguascalientes", "San Luis Potosí", "Morelia",
  "Cuernavaca", "Pachuca", "San Miguel de Allende", "Guanajuato", "Irapuato", "Celaya", "Tlaxcala",
  // Sureste
  "Mérida", "Altabrisa", "Montebello", "Temozón", "Temozón Norte", "Cholul", "Conkal", "Chicxulub", "Progreso", "Dzityá",
  "Cancún", "Zona Hotelera", "Puerto Cancún", "Playa del Carmen", "Tulum", "Aldea Zamá", "Puerto Morelos", "Bacalar", "Cozumel",
  "Villahermosa", "Campeche", "Oaxaca", "Veracruz", "Boca del Río", "Xalapa", "Huatulco", "Puerto Escondido",
  // Norte y Pacífico
  "Tijuana", "Mexicali", "Ensenada", "Rosarito", "Hermosillo", "Chihuahua", "Ciudad Juárez", "Culiacán", "Mazatlán",
  "Puerto Vallarta", "Nuevo Vallarta", "Bucerías", "Los Cabos", "Cabo San Lucas", "San José del Cabo", "La Paz", "Durango",
  "Acapulco", "Ixtapa", "Zacatecas", "Tampico",
  // Estados, for "Zapopan, Jalisco" or "San Pedro, Nuevo León"
  "Nuevo León", "NL", "Jalisco", "Yucatán", "Quintana Roo", "Baja California", "Baja California Sur", "Sonora", "Sinaloa",
  "Morelos", "Chiapas", "Tabasco", "Coahuila", "Tamaulipas", "Hidalgo", "Michoacán",
];
