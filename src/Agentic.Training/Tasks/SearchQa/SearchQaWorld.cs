using Agentic.Core.Randomness;

namespace Agentic.Training.Tasks.SearchQa;

/// <summary>
/// A generated world of invented people, cities, countries and companies, with one document per fact ("X was born
/// in Y.", "Y is a city in Z.", "C was founded by X.", "C has its headquarters in Y."). Invented names keep a policy
/// from answering from prior knowledge: every answer must be retrieved.
/// </summary>
public sealed class SearchQaWorld
{
    private static readonly string[] Onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "st", "th", "tr"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ae", "io"];
    private static readonly string[] Codas = ["", "n", "r", "s", "l", "th", "x"];

    /// <summary>Birth city of each person.</summary>
    public Dictionary<string, string> BornIn { get; } = new(StringComparer.Ordinal);

    /// <summary>Country of each city.</summary>
    public Dictionary<string, string> CountryOf { get; } = new(StringComparer.Ordinal);

    /// <summary>Founder of each company.</summary>
    public Dictionary<string, string> FounderOf { get; } = new(StringComparer.Ordinal);

    /// <summary>Headquarters city of each company.</summary>
    public Dictionary<string, string> HeadquartersOf { get; } = new(StringComparer.Ordinal);

    /// <summary>The documents: id, title, text.</summary>
    public List<(string Id, string Title, string Text)> Documents { get; } = [];

    /// <summary>Generates the world of <paramref name="seed"/>.</summary>
    public static SearchQaWorld Generate(ulong seed, int people = 24, int cities = 12, int countries = 5, int companies = 10)
    {
        var random = new DeterministicRandom(seed);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string Word(int syllables)
        {
            while (true)
            {
                var w = string.Concat(Enumerable.Range(0, syllables).Select(_ => Onsets[random.Next(Onsets.Length)] + Vowels[random.Next(Vowels.Length)])) + Codas[random.Next(Codas.Length)];
                w = char.ToUpperInvariant(w[0]) + w[1..];
                if (used.Add(w)) return w;
            }
        }

        var world = new SearchQaWorld();
        var countryNames = Enumerable.Range(0, countries).Select(_ => Word(3) + "ia").ToArray();
        var cityNames = Enumerable.Range(0, cities).Select(_ => Word(2)).ToArray();
        var personNames = Enumerable.Range(0, people).Select(_ => $"{Word(2)} {Word(2)}").ToArray();
        var companyNames = Enumerable.Range(0, companies).Select(_ => $"{Word(2)} {(random.Next(3) switch { 0 => "Labs", 1 => "Works", _ => "Systems" })}").ToArray();
        foreach (var city in cityNames) world.CountryOf[city] = countryNames[random.Next(countryNames.Length)];
        foreach (var person in personNames) world.BornIn[person] = cityNames[random.Next(cityNames.Length)];
        var founders = personNames.ToArray();
        random.Shuffle(founders);
        for (int i = 0; i < companyNames.Length; i++)
        {
            world.FounderOf[companyNames[i]] = founders[i % founders.Length];
            world.HeadquartersOf[companyNames[i]] = cityNames[random.Next(cityNames.Length)];
        }

        int n = 0;
        void Add(string title, string text) => world.Documents.Add(($"d{n++}", title, text));
        foreach (var (person, city) in world.BornIn) Add(person, $"{person} was born in {city}.");
        foreach (var (city, country) in world.CountryOf) Add(city, $"{city} is a city in {country}.");
        foreach (var (company, founder) in world.FounderOf) Add(company, $"{company} was founded by {founder}.");
        foreach (var (company, city) in world.HeadquartersOf) Add(company, $"{company} has its headquarters in {city}.");
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(world.Documents));
        return world;
    }
}
