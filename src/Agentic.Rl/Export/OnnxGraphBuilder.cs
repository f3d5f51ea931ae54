using Google.Protobuf;
using Onnx;

namespace Agentic.Rl.Export;

/// <summary>
/// A small append-only builder over the ONNX protobuf classes: nodes get unique output names, constants and weights
/// become initializers. Only what the policy graph needs.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph;
    private int _counter;

    public OnnxGraphBuilder(string name) => _graph = new GraphProto { Name = name };

    public GraphProto Graph => _graph;

    /// <summary>Adds a node with one output and returns that output's name.</summary>
    public string Node(string opType, string[] inputs, string hint, params AttributeProto[] attributes) =>
        NodeMulti(opType, inputs, 1, hint, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their names.</summary>
    public string[] NodeMulti(string opType, string[] inputs, int outputs, string hint, params AttributeProto[] attributes)
    {
        int id = _counter++;
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = $"{hint}/{opType}_{id}" + (outputs > 1 ? $":{i}" : "");
        AddNode(opType, inputs, names, hint, attributes);
        return names;
    }

    /// <summary>Adds a node whose outputs are given explicit names (graph outputs).</summary>
    public void AddNode(string opType, string[] inputs, string[] outputs, string hint, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{hint}/{opType}_{_counter++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
    }

    /// <summary>Adds a float32 initializer.</summary>
    public string Floats(string name, float[] data, params long[] dims)
    {
        var bytes = new byte[data.Length * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 initializer.</summary>
    public string Int64s(string name, long[] data, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.AddRange(data);
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a scalar float initializer.</summary>
    public string Scalar(string name, float value) => Floats(name, [value]);

    /// <summary>Adds a scalar int64 initializer.</summary>
    public string ScalarInt64(string name, long value) => Int64s(name, [value]);

    public void Input(string name, TensorProto.Types.DataType type, params string[] dims) => _graph.Input.Add(ValueInfo(name, type, dims));

    public void Output(string name, TensorProto.Types.DataType type, params string[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, string[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(long.TryParse(d, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
                ? new TensorShapeProto.Types.Dimension { DimValue = v }
                : new TensorShapeProto.Types.Dimension { DimParam = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
